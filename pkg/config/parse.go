package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// rawModel is the model as written, before manifests are read.
type rawModel struct {
	options Options
	phases  []*rawPhase
}

type rawPhase struct {
	index int // position in the jobernetes list
	name  string
	field *field.Path
	jobs  []*rawJob
}

type rawJob struct {
	phase     *rawPhase
	index     int // position in the phase's jobs list
	node      int // graph node index: position among all decoded jobs
	name      string
	typ       string
	path      string // job_path as written
	dependsOn []string
	depIndex  []int // position in the written depends_on list of each dependsOn entry
	field     *field.Path
	usable    bool // type and job_path decoded: manifests can be looked for

	triggerRule string // RuleAllSucceeded unless written
	revertPath  string // revert_path as written, "" when absent
	env         map[string]string
	queue       string // queue as written, "" when absent

	rawDataflow
}

// rawDataflow is a job's results, when and matrix as written.
type rawDataflow struct {
	results  []string // declared result keys
	when     *When    // nil when absent (or invalid)
	whenExpr string   // as written, until compileWhens
	hasWhen  bool
	matrix   []MatrixAxis // nil when absent
}

var (
	topKeys   = []string{"jobernetes", "jobernetes_config"}
	phaseKeys = []string{"jobs", "phase_name"}
)

// parseModel decodes the model file's bytes. It returns nil when the file is
// not even a YAML mapping; otherwise every problem found is in ps and the
// rest of the model is decoded as far as it goes, so that later stages can
// report their problems too.
func parseModel(data []byte, ps *problems) *rawModel {
	doc, ok := singleDocument(data, "model file", ps.at)
	if !ok {
		return nil
	}
	if msg := expansionProblem(doc, maxModelSize); msg != "" {
		ps.at("", msg)
		return nil
	}
	offset := lineOffset(data, doc)
	tree, ok := yamlTree(doc, func(_, msg string) { ps.atYAML(msg, offset) })
	if !ok {
		return nil
	}
	top, ok := tree.(map[string]any)
	if !ok {
		msg := "the model must be a mapping with the keys jobernetes_config and jobernetes"
		if tree == nil {
			msg = "the model file is empty; " + msg
		} else {
			msg += ", not " + describe(tree)
		}
		ps.at("", msg)
		return nil
	}
	for _, k := range sortedKeys(top) {
		if !contains(topKeys, k) {
			ps.at(k, unknownKeyMessage(k, topKeys))
		}
	}
	m := &rawModel{options: decodeOptions(top["jobernetes_config"], ps)}
	m.phases = decodePhases(top["jobernetes"], ps)
	return m
}

// singleDocument returns the one YAML document of data. A model or a
// manifest is one document; a second one would be silently ignored by YAML
// decoders, so it is an error here. Documents holding only comments do not
// count.
func singleDocument(data []byte, what string, report func(field, msg string)) ([]byte, bool) {
	all, err := yamlDocuments(data)
	if err != nil {
		report("", "cannot read the "+what+": "+err.Error())
		return nil, false
	}
	var docs [][]byte
	for _, doc := range all {
		if !blankDocument(doc) {
			docs = append(docs, doc)
		}
	}
	switch len(docs) {
	case 0:
		return nil, true // empty: the caller says what it expected
	case 1:
		return docs[0], true
	}
	report("", "the "+what+" holds "+strconv.Itoa(len(docs))+" YAML documents; it must hold exactly one")
	return nil, false
}

// readerDocuments are the documents of data as k8s.io/apimachinery's
// YAMLReader splits them (each Read returns a buffer of its own).
func readerDocuments(data []byte) ([][]byte, error) {
	var docs [][]byte
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

// yamlDocuments splits data into YAML documents as
// k8s.io/apimachinery's YAMLReader does: at lines beginning with "---",
// dropped where they end a document and kept where they begin one; each
// document's lines end with "\n". Without carriage
// returns (which its line reader drops before a newline) the documents are
// parts of data, not copies.
func yamlDocuments(data []byte) ([][]byte, error) {
	if bytes.IndexByte(data, '\r') >= 0 {
		return readerDocuments(data)
	}
	var docs [][]byte
	start := 0
	for i := 0; i < len(data); {
		next := len(data)
		if nl := bytes.IndexByte(data[i:], '\n'); nl >= 0 {
			next = i + nl + 1
		}
		if line := data[i:next]; bytes.HasPrefix(line, []byte("---")) {
			if trimmed := bytes.TrimSpace(line[3:]); len(trimmed) > 0 && trimmed[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", trimmed)
			}
			if i > start { // it ends a document, and is dropped
				docs = append(docs, data[start:i])
				start = next
			} // else it begins one, and stays in it
		}
		i = next
	}
	if start < len(data) {
		doc := data[start:]
		if doc[len(doc)-1] != '\n' {
			doc = append(slices.Clip(doc), '\n') // a copy, as the reader's
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// blankDocument reports whether a YAML document holds nothing but blank
// lines, comments, directives and document markers.
func blankDocument(doc []byte) bool {
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) != 0 && line[0] != '#' && line[0] != '%' && string(line) != "---" && string(line) != "..." {
			return false
		}
	}
	return true
}

// yamlTree converts one YAML document into a generic JSON tree: with
// fastTree when the document is plain block YAML, as models are, else with
// sigs.k8s.io/yaml (yamlTreeGeneral).
func yamlTree(doc []byte, report func(field, msg string)) (any, bool) {
	if doc == nil {
		return nil, true
	}
	if tree, ok := fastTree(doc); ok {
		return tree, true
	}
	return yamlTreeGeneral(doc, report)
}

// yamlTreeGeneral converts one YAML document into a generic JSON tree with
// sigs.k8s.io/yaml. Duplicate keys are reported, each with its line, and the
// document is then read again leniently so that the rest of the model is
// still checked.
func yamlTreeGeneral(doc []byte, report func(field, msg string)) (any, bool) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		var te *yamlv2.TypeError
		if !errors.As(err, &te) {
			report("", "not valid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "))
			return nil, false
		}
		for _, e := range te.Errors {
			report("", duplicateKeyMessage(e))
		}
		if j, err = yaml.YAMLToJSON(doc); err != nil {
			return nil, false
		}
	}
	var tree any
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	if err := d.Decode(&tree); err != nil {
		report("", "not valid YAML: "+err.Error())
		return nil, false
	}
	return tree, true
}

// duplicateKeyMessage rewords go-yaml's `line 4: key "name" already set in
// map` as `line 4: duplicate key "name"`.
func duplicateKeyMessage(e string) string {
	if line, rest, ok := strings.Cut(e, ": key "); ok && strings.HasSuffix(rest, " already set in map") {
		return line + ": duplicate key " + strings.TrimSuffix(rest, " already set in map") + "; each key may appear only once"
	}
	return e
}

func decodePhases(v any, ps *problems) []*rawPhase {
	root := field.NewPath("jobernetes")
	list, ok := v.([]any)
	switch {
	case v == nil:
		ps.at(root.String(), "required: the list of phases is missing or empty")
		return nil
	case !ok:
		ps.at(root.String(), "must be a list of phases, not "+describe(v))
		return nil
	case len(list) == 0:
		ps.at(root.String(), "required: the model needs at least one phase")
		return nil
	}
	var phases []*rawPhase
	node := 0
	for i, pv := range list {
		fp := root.Index(i)
		pm, ok := pv.(map[string]any)
		if !ok {
			ps.phase(i, "", fp.String(), "a phase must be a mapping with the keys phase_name and jobs, not "+describe(pv))
			continue
		}
		ph := &rawPhase{index: i, field: fp}
		report := func(f, msg string) { ps.phase(i, ph.name, f, msg) }
		nameField := fp.Child("phase_name")
		if nv := pm["phase_name"]; nv != nil {
			if s, ok := stringValue(nv, nameField, report); ok {
				ph.name = s
				if msg := nameProblem("phase name", s); msg != "" {
					report(nameField.String(), msg)
				}
			}
		} else {
			report(nameField.String(), "required: every phase needs a phase_name")
		}
		for _, k := range sortedKeys(pm) {
			if !contains(phaseKeys, k) {
				report(fp.Child(k).String(), unknownKeyMessage(k, phaseKeys))
			}
		}
		jobsField := fp.Child("jobs")
		jobs, ok := pm["jobs"].([]any)
		switch {
		case pm["jobs"] != nil && !ok:
			report(jobsField.String(), "must be a list of jobs, not "+describe(pm["jobs"]))
		case len(jobs) == 0:
			report(jobsField.String(), "required: every phase needs at least one job")
		}
		for j, jv := range jobs {
			if job := decodeJob(jv, ph, jobsField, j, ps); job != nil {
				job.node = node
				node++
				ph.jobs = append(ph.jobs, job)
			}
		}
		phases = append(phases, ph)
	}
	return phases
}

// jobDecoders decode the keys of a job after its name, in this order, which
// is the order of their problems; a key that is neither here nor name is
// unknown. required, when set, is the problem of a job without the key.
var jobDecoders = []struct {
	key      string
	decode   func(job *rawJob, v any, fp *field.Path, report jobReport)
	required string
}{
	{"type", decodeJobType, ""},
	{"job_path", decodeJobPath, "required: the path of the Job manifest file (or folder, with type: directory), relative to the model file's folder"},
	{"trigger_rule", decodeTriggerRule, ""},
	{"revert_path", decodeRevertPath, ""},
	{"env", decodeJobEnv, ""},
	{"queue", func(job *rawJob, v any, fp *field.Path, report jobReport) {
		job.queue = queueValue(v, fp.Child("queue"), report.at)
	}, ""},
	{"results", decodeJobResults, ""},
	{"matrix", decodeJobMatrix, ""},
	{"when", decodeJobWhen, ""},
	{"depends_on", decodeDependsOn, ""},
}

// jobKeys are the valid keys of a job, sorted for messages.
var jobKeys = func() []string {
	keys := []string{"name"}
	for _, d := range jobDecoders {
		keys = append(keys, d.key)
	}
	slices.Sort(keys)
	return keys
}()

// decodeJob reads job index of a phase; jobsField is the phase's jobs. The
// paths of a job's fields are built only for problems: a model holds up to
// 100,000 jobs.
func decodeJob(v any, ph *rawPhase, jobsField *field.Path, index int, ps *problems) *rawJob {
	fp := jobsField.Index(index)
	job := &rawJob{phase: ph, index: index, field: fp, typ: TypeFile, triggerRule: RuleAllSucceeded}
	m, ok := v.(map[string]any)
	if !ok {
		ps.job(job, "", fp.String(), "a job must be a mapping with the keys name and job_path, not "+describe(v))
		return nil
	}
	report := jobReport{ps, job}
	decodeJobName(job, m["name"], fp, report)
	if !knownKeys(m, jobKeys) {
		for _, k := range sortedKeys(m) {
			if !contains(jobKeys, k) {
				report.at(fp.Child(k).String(), unknownKeyMessage(k, jobKeys))
			}
		}
	}
	for _, d := range jobDecoders {
		switch v := m[d.key]; {
		case v != nil:
			d.decode(job, v, fp, report)
		case d.required != "":
			report.at(fp.Child(d.key).String(), d.required)
		}
	}
	job.usable = job.typ != "" && job.path != ""
	return job
}

// jobReport reports the problems of one job. A struct, not a closure: the
// decoders are called through jobDecoders, and a closure passed so would be
// allocated for each of a model's up to 100,000 jobs.
type jobReport struct {
	ps  *problems
	job *rawJob
}

func (r jobReport) at(field, msg string) { r.ps.job(r.job, "", field, msg) }

func decodeJobName(job *rawJob, v any, fp *field.Path, report jobReport) {
	if v == nil {
		report.at(fp.Child("name").String(), "required: every job needs a name")
		return
	}
	if s, ok := childString(v, fp, "name", report.at); ok {
		job.name = s
		if msg := nameProblem("job name", s); msg != "" {
			report.at(fp.Child("name").String(), msg)
		}
	}
}

// decodeJobType leaves job.typ empty when the type is wrong: the job is
// then not usable.
func decodeJobType(job *rawJob, v any, fp *field.Path, report jobReport) {
	tf := fp.Child("type")
	s, ok := stringValue(v, tf, report.at)
	switch {
	case !ok:
		job.typ = ""
	case s != TypeFile && s != TypeDirectory && s != TypeModel:
		report.at(tf.String(), "Unsupported value "+strconv.Quote(s)+": must be file (the default), directory or model")
		job.typ = ""
	default:
		job.typ = s
	}
}

func decodeJobPath(job *rawJob, v any, fp *field.Path, report jobReport) {
	if s, ok := childString(v, fp, "job_path", report.at); ok {
		if s == "" {
			report.at(fp.Child("job_path").String(), "required: job_path must not be empty")
		} else {
			job.path = s
		}
	}
}

func decodeTriggerRule(job *rawJob, v any, fp *field.Path, report jobReport) {
	rf := fp.Child("trigger_rule")
	if s, ok := stringValue(v, rf, report.at); ok {
		switch s {
		case RuleAllSucceeded, RuleAllDone, RuleOneFailed:
			job.triggerRule = s
		default:
			report.at(rf.String(), "Unsupported value "+strconv.Quote(s)+": must be all_succeeded (the default), all_done or one_failed")
		}
	}
}

func decodeRevertPath(job *rawJob, v any, fp *field.Path, report jobReport) {
	rf := fp.Child("revert_path")
	if s, ok := stringValue(v, rf, report.at); ok {
		if s == "" {
			report.at(rf.String(), "must not be empty: the path of the compensating Job manifest")
		} else {
			job.revertPath = s
		}
	}
}

func decodeJobEnv(job *rawJob, v any, fp *field.Path, report jobReport) {
	job.env = decodeEnv(v, fp.Child("env"), report.at)
}

func decodeDependsOn(job *rawJob, v any, fp *field.Path, report jobReport) {
	list, ok := v.([]any)
	if !ok {
		hint := ""
		if s, isString := v.(string); isString {
			hint = "; write [" + s + "]"
		}
		report.at(fp.Child("depends_on").String(), "must be a list of job names, not "+describe(v)+hint)
	}
	for k, item := range list {
		s, ok := item.(string)
		if !ok {
			stringValue(item, fp.Child("depends_on").Index(k), report.at)
			continue
		}
		if s == "" {
			report.at(fp.Child("depends_on").Index(k).String(), "required: a dependency must name a job")
			continue
		}
		job.dependsOn = append(job.dependsOn, s)
		job.depIndex = append(job.depIndex, k)
	}
}

// childString is stringValue for the field name of parent, whose path is
// built only when v is not a string.
func childString(v any, parent *field.Path, name string, report func(field, msg string)) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	return stringValue(v, parent.Child(name), report)
}

// knownKeys reports whether every key of m is in known.
func knownKeys(m map[string]any, known []string) bool {
	for k := range m {
		if !contains(known, k) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

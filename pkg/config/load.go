package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// Namespace is the effective namespace override (-n) for the
	// metadata.namespace check; "" = use the model's kubernetes_namespace
	// (if any). With neither, manifests' namespaces are not compared.
	Namespace string

	// confine refuses job paths outside the model's folder, so that a
	// fuzzed model cannot make Load walk the whole file system.
	confine bool
	// stack holds the model files (absolute) that load this one as a
	// sub-model: a cycle of files is refused.
	stack []string
}

// maxModelSize bounds the model file. A model of 100,000 jobs is a few MiB.
const maxModelSize = 64 << 20

// Load reads the model file at path, every manifest it names, and validates
// all of it. Anything the user must fix, an unreadable model file included,
// comes back as a *ValidationError listing every problem in model order.
func Load(path string, opts LoadOptions) (*Model, error) {
	ps := &problems{file: path}
	namespace := namespaceFlag(opts.Namespace, ps)
	data, ok := readModel(path, ps)
	if !ok {
		return nil, &ValidationError{Problems: ps.sorted()}
	}
	ps.data = data
	raw := parseModel(data, ps)
	if raw == nil {
		return nil, &ValidationError{Problems: ps.sorted()}
	}
	raw.detach()
	compileWhens(raw, ps)

	if opts.Namespace == "" {
		namespace = raw.options.Namespace
	}
	m := &Model{Path: path, Dir: filepath.Dir(path), Options: raw.options}
	loader := &manifestLoader{
		dir:       m.Dir,
		namespace: namespace,
		confine:   opts.confine,
		cache:     map[string]*decoded{},
		paths:     map[pathKey]resolved{},
	}
	loader.phases(m, raw, ps)
	checkFailureHandling(raw, ps)
	m.Graph = buildGraph(raw, GraphSpecs(m.Phases, raw.options.FinallyPhase), ps)
	checkDataflow(raw, m, ps)
	if ps.empty() {
		loadSubModels(m, raw, opts, ps)
	}

	if !ps.empty() {
		return nil, &ValidationError{Problems: ps.sorted()}
	}
	return m, nil
}

// namespaceFlag is the namespace given with -n, "" when none was given or
// when it is not a valid name (reported once, not compared with manifests).
func namespaceFlag(namespace string, ps *problems) string {
	if namespace == "" {
		return ""
	}
	if msg := namespaceProblem(namespace); msg != "" {
		ps.at("", "namespace (-n) "+msg)
		return ""
	}
	return namespace
}

// phases fills m's phases and jobs from the model as written, with the
// manifests each job names.
func (l *manifestLoader) phases(m *Model, raw *rawModel, ps *problems) {
	for _, rp := range raw.phases {
		phase := Phase{Name: rp.name}
		for _, rj := range rp.jobs {
			job := l.job(rj, len(m.Phases), raw.options.MaxMatrix, ps)
			phase.Jobs = append(phase.Jobs, job)
			m.jobs = append(m.jobs, job)
		}
		m.Phases = append(m.Phases, phase)
	}
}

// job is the model's job of rj, phase its phase's index.
func (l *manifestLoader) job(rj *rawJob, phase, maxMatrix int, ps *problems) *Job {
	job := &Job{
		Name:        rj.name,
		Phase:       rj.phase.name,
		PhaseIndex:  phase,
		Index:       rj.node,
		Type:        rj.typ,
		Path:        rj.path,
		DependsOn:   rj.dependsOn,
		TriggerRule: rj.triggerRule,
		Env:         rj.env,
		Queue:       rj.queue,
	}
	if rj.usable && rj.typ != TypeModel {
		job.Manifests = l.manifests(rj, ps)
	}
	job.Results, job.When, job.Matrix = rj.results, rj.when, rj.matrix
	expandStatic(job, maxMatrix)
	if rj.revertPath != "" {
		job.Revert = l.revert(rj, ps)
	}
	return job
}

// readModel reads the model file, reporting why it cannot. Pipes such as
// /dev/stdin work too.
func readModel(path string, ps *problems) ([]byte, bool) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ps.at("", "model file not found (use -f to name another one)")
		return nil, false
	case err != nil:
		ps.at("", "cannot read the model file: "+unwrapPathError(err))
		return nil, false
	case fi.IsDir():
		ps.at("", "is a folder; -f must name the model file (such as jobermodel.yaml)")
		return nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		ps.at("", "cannot read the model file: "+unwrapPathError(err))
		return nil, false
	}
	defer f.Close()
	data, err := readAtMost(f, fi, maxModelSize+1)
	switch {
	case err != nil:
		ps.at("", "cannot read the model file: "+unwrapPathError(err))
		return nil, false
	case len(data) > maxModelSize:
		ps.at("", "the model file is too large")
		return nil, false
	}
	return data, true
}

// readAtMost is io.ReadAll of at most limit bytes, into one buffer of the
// file's size when it has one (io.ReadAll grows its buffer step by step:
// three times the size of a large model).
func readAtMost(f *os.File, fi os.FileInfo, limit int64) ([]byte, error) {
	if size := fi.Size(); fi.Mode().IsRegular() && size > 0 && size < limit {
		data := make([]byte, 0, size+1) // +1: EOF is seen without growing
		for {
			n, err := f.Read(data[len(data):cap(data)])
			data = data[:len(data)+n]
			switch {
			case errors.Is(err, io.EOF):
				return data, nil
			case err != nil:
				return data, err
			case len(data) == cap(data):
				// The file grew: read the rest as io.ReadAll would.
				rest, err := io.ReadAll(io.LimitReader(f, limit-int64(len(data))))
				return append(data, rest...), err
			}
		}
	}
	return io.ReadAll(io.LimitReader(f, limit))
}

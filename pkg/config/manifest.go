package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// maxManifestSize bounds what is read as one manifest. The API server
// refuses objects much smaller than this; the bound only keeps a wrong
// job_path (a log file, a device) from being read whole.
const maxManifestSize = 8 << 20

// manifestExts are the extensions a directory job picks up.
var manifestExts = []string{".json", ".yaml", ".yml"}

// strictDecoder decodes YAML or JSON with the Kubernetes scheme and reports
// unknown and duplicate fields. It does not default: a restartPolicy left
// out stays empty, so that it can be reported.
var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// manifestLoader finds, reads and checks the manifests of a model's jobs.
// Files are decoded once per Load even when many jobs name the same file.
type manifestLoader struct {
	dir       string              // the model's folder
	namespace string              // effective namespace for the metadata.namespace check; "" = unknown
	confine   bool                // refuse paths outside dir (fuzzing)
	cache     map[string]*decoded // by file path
	paths     map[pathKey]resolved
}

// pathKey is a job's type and job_path as written: many jobs of a large
// model name the same few manifests.
type pathKey struct{ typ, path string }

// decoded is one manifest file, decoded and checked.
type decoded struct {
	job    *batchv1.Job // nil when the file is not a usable Job
	issues []issue
	// manifest is shared by every job that names the file: 10,000 jobs of
	// one manifest would otherwise hold 10,000 copies of the same Job.
	manifest *Manifest
}

// issue is a problem inside a manifest file.
type issue struct{ field, msg string }

// manifests returns the manifests of a job and reports every problem with
// them. It returns nil when the job has problems.
func (l *manifestLoader) manifests(j *rawJob, ps *problems) []*Manifest {
	if l.confine && !filepath.IsLocal(j.path) {
		ps.job(j, "", j.field.Child("job_path").String(), strconv.Quote(j.path)+" is outside the model's folder")
		return nil
	}
	files := l.files(j, ps)
	if files == nil {
		return nil
	}
	out := make([]*Manifest, 0, len(files))
	ok := true
	for _, f := range files {
		d := l.load(f)
		for _, is := range d.issues {
			ps.job(j, f, is.field, is.msg)
		}
		if d.job == nil || len(d.issues) > 0 {
			ok = false
			continue
		}
		if d.manifest == nil {
			d.manifest = &Manifest{Path: f, RelPath: l.rel(f), Job: d.job}
		}
		out = append(out, d.manifest)
	}
	if !ok {
		return nil
	}
	return out
}

// resolved is what a job_path stands for: its manifest files, or why it
// stands for none. Jobs that share a path share it.
type resolved struct {
	files []string
	msg   string // the problem, for the job_path field
}

// files returns the manifest files of a job's path, or nil after reporting
// why there are none.
func (l *manifestLoader) files(j *rawJob, ps *problems) []string {
	key := pathKey{j.typ, j.path}
	r, ok := l.paths[key]
	if !ok {
		where := j.path
		if !filepath.IsAbs(where) {
			where = filepath.Join(l.dir, where)
		}
		r = l.resolve(j.typ, where)
		l.paths[key] = r
	}
	if r.msg != "" {
		ps.job(j, "", j.field.Child("job_path").String(), r.msg)
		return nil
	}
	return r.files
}

func (l *manifestLoader) resolve(typ, where string) resolved {
	fi, err := os.Stat(where)
	switch {
	case err != nil:
		return resolved{msg: statMessage(where, err)}
	case typ == TypeFile && fi.IsDir():
		return resolved{msg: where + " is a folder; add type: directory to run every Job manifest in it"}
	case typ == TypeDirectory && !fi.IsDir():
		return resolved{msg: where + " is a file, but type is directory; remove type: directory to run this one manifest"}
	case typ == TypeFile:
		return resolved{files: []string{where}}
	}
	return l.walk(where)
}

// walk lists the manifest files under a directory job's folder, subfolders
// included, sorted by path. Symbolic links to folders are not followed.
func (l *manifestLoader) walk(root string) resolved {
	var files []string
	var failures []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			failures = append(failures, "cannot read "+p+": "+unwrapPathError(err))
			return nil
		}
		if !d.IsDir() && slices.Contains(manifestExts, filepath.Ext(p)) {
			files = append(files, p)
		}
		return nil
	})
	switch {
	case err != nil:
		return resolved{msg: "cannot read " + root + ": " + unwrapPathError(err)}
	case len(failures) > 0:
		return resolved{msg: strings.Join(failures, "; ")}
	case len(files) == 0:
		return resolved{msg: "folder " + root + " holds no Job manifest (no .yaml, .yml or .json file, subfolders included)"}
	}
	// Sort by slash path so that "a.yaml" comes before "a/b.yaml" on every
	// system, as the path strings compare.
	slices.SortFunc(files, func(a, b string) int {
		return strings.Compare(filepath.ToSlash(a), filepath.ToSlash(b))
	})
	return resolved{files: files}
}

// rel is p relative to the model's folder, with slashes.
func (l *manifestLoader) rel(p string) string {
	base, target := l.dir, p
	if filepath.IsAbs(base) != filepath.IsAbs(target) {
		base, _ = filepath.Abs(base)
		target, _ = filepath.Abs(target)
	}
	if r, err := filepath.Rel(base, target); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

func (l *manifestLoader) load(p string) *decoded {
	if d, ok := l.cache[p]; ok {
		return d
	}
	d := l.decode(p)
	l.cache[p] = d
	return d
}

// decode reads one manifest file and checks it.
func (l *manifestLoader) decode(p string) *decoded {
	d := &decoded{}
	fail := func(msg string) *decoded {
		d.issues = append(d.issues, issue{msg: msg})
		return d
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fail(statMessage(p, err))
	}
	if !fi.Mode().IsRegular() {
		return fail("not a regular file")
	}
	if fi.Size() > maxManifestSize {
		return fail("the file is too large for a Job manifest (" + strconv.FormatInt(fi.Size(), 10) + " bytes)")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fail("cannot read: " + unwrapPathError(err))
	}
	doc, ok := singleDocument(data, "manifest", func(_, msg string) { fail(msg) })
	if !ok {
		return d
	}
	if doc == nil {
		return fail("the file is empty; expected a batch/v1 Job")
	}
	if msg := expansionProblem(doc, maxManifestSize); msg != "" {
		return fail(msg)
	}
	if msg := typeMetaProblem(doc); msg != "" {
		return fail(msg)
	}
	obj, _, err := strictDecoder.Decode(doc, nil, nil)
	if strict, isStrict := runtime.AsStrictDecodingError(err); isStrict {
		// The object decoded; report each unknown or duplicate field and
		// check the rest anyway.
		for _, e := range strict.Errors() {
			for _, msg := range strictMessages(e) {
				d.issues = append(d.issues, issue{msg: msg})
			}
		}
	} else if err != nil {
		return fail("cannot decode as a batch/v1 Job: " + err.Error())
	}
	job, isJob := obj.(*batchv1.Job)
	if !isJob {
		return fail("not a batch/v1 Job")
	}
	d.issues = append(d.issues, checkJob(job, l.namespace)...)
	d.job = job
	return d
}

// typeMetaProblem checks that a document is YAML or JSON of a batch/v1 Job,
// so that the user reads "a v1 Pod is not a Job" instead of a decoder error.
func typeMetaProblem(doc []byte) string {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return "not valid YAML or JSON: " + strings.TrimPrefix(err.Error(), "yaml: ")
	}
	var obj map[string]any
	if err := json.Unmarshal(j, &obj); err != nil {
		return "not a Kubernetes object: expected a mapping with apiVersion: batch/v1 and kind: Job"
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return "apiVersion and kind must be strings (apiVersion: batch/v1, kind: Job)"
	}
	if tm.APIVersion == "batch/v1" && tm.Kind == "Job" {
		return ""
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return "apiVersion and kind are required: expected apiVersion: batch/v1 and kind: Job"
	}
	return "apiVersion " + strconv.Quote(tm.APIVersion) + ", kind " + strconv.Quote(tm.Kind) +
		" is not a Job: expected apiVersion: batch/v1 and kind: Job"
}

// strictMessages splits a strict decoding error into one message per
// problem: go-yaml reports all duplicate keys of a file in one error.
func strictMessages(err error) []string {
	var te *yamlv2.TypeError
	if errors.As(err, &te) {
		out := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = duplicateKeyMessage(e)
		}
		return out
	}
	return []string{err.Error()}
}

// statMessage words a failed os.Stat for a path the user wrote.
func statMessage(p string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return p + " does not exist (job_path is relative to the model file's folder)"
	}
	return "cannot read " + p + ": " + unwrapPathError(err)
}

// unwrapPathError drops the path that fs.PathError repeats.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hostile input: whatever a model or a manifest holds, Load answers with a
// clear problem or a correct model, in bounded time and memory.

// loadBounded loads a model in a goroutine and fails the test if that takes
// longer than limit (a hang) or allocates more than maxAlloc bytes.
func loadBounded(t *testing.T, path string, limit time.Duration, maxAlloc uint64) (*Model, time.Duration, uint64, error) {
	t.Helper()
	type out struct {
		m   *Model
		err error
	}
	done := make(chan out, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	go func() {
		m, err := Load(path, LoadOptions{})
		done <- out{m, err}
	}()
	select {
	case o := <-done:
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if alloc > maxAlloc {
			t.Errorf("Load allocated %d MiB, want at most %d MiB", alloc>>20, maxAlloc>>20)
		}
		return o.m, took, alloc, o.err
	case <-time.After(limit):
		t.Fatalf("Load(%s) did not return within %s", path, limit)
	}
	return nil, 0, 0, nil
}

// goodJob is a valid manifest.
func goodJob(t *testing.T) string {
	t.Helper()
	good, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(good)
}

func writeAll(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const oneJobModel = "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: job.yaml}\n"

// laughs is the billion laughs: levels of lists of `width` aliases of the
// level below; it expands to width^levels scalars.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol]\n")
	for i := 1; i < levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), width), ", ")
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, refs)
	}
	return b.String()
}

// bigScalar anchors one 1 MiB string and aliases it n times: few nodes
// (no alias-count guard trips), but n MiB once written out as JSON.
func bigScalar(key string, n int) string {
	return "big: &big " + strings.Repeat("x", 1<<20) + "\n" + key + ": [" + strings.TrimSuffix(strings.Repeat("*big, ", n), ", ") + "]\n"
}

// TestYAMLAliasBombs: aliases that multiply a model or a manifest fail
// fast with a clear problem, in the model and in a manifest.
func TestYAMLAliasBombs(t *testing.T) {
	job := goodJob(t)
	for _, tc := range []struct {
		name            string
		model, manifest string
		want            string
	}{
		{"model/nested", laughs(10, 10) + oneJobModel, job, "not valid YAML: document contains excessive aliasing"},
		{"model/scalar", bigScalar("x", 200) + oneJobModel, job,
			"the YAML expands to more than 64 MiB through aliases (*name); write the values out, or use fewer aliases"},
		{"manifest/nested", oneJobModel, job + laughs(10, 10), "not valid YAML or JSON: document contains excessive aliasing"},
		{"manifest/scalar", oneJobModel, job + bigScalar("x", 200),
			"the YAML expands to more than 8 MiB through aliases (*name); write the values out, or use fewer aliases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAll(t, dir, map[string]string{"jobermodel.yaml": tc.model, "job.yaml": tc.manifest})
			_, took, alloc, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 10*time.Second, 256<<20)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.HasPrefix(tc.name, "manifest") && !strings.Contains(err.Error(), `job "a": `+filepath.Join(dir, "job.yaml")) {
				t.Errorf("the problem does not name the job and the manifest: %v", err)
			}
			t.Logf("MEASURE %s: refused in %s, %d MiB allocated", tc.name, took.Round(time.Millisecond), alloc>>20)
		})
	}
}

// TestYAMLAliasesStillWork: aliases that do not multiply the document, in
// the model and in a manifest (shared settings), are fine.
func TestYAMLAliasesStillWork(t *testing.T) {
	dir := t.TempDir()
	job := strings.Replace(goodJob(t), "kind: Job\n", "kind: Job\nmetadata:\n  labels: &l {team: data, tier: batch}\n  annotations: *l\n", 1)
	writeAll(t, dir, map[string]string{
		"jobermodel.yaml": `jobernetes:
  - phase_name: p
    jobs:
      - {name: a, job_path: &p job.yaml}
      - {name: b, job_path: *p, depends_on: &deps [a]}
      - {name: c, job_path: *p, depends_on: *deps}
`,
		"job.yaml": job,
	})
	m, err := Load(filepath.Join(dir, "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Jobs()[2].DependsOn; len(got) != 1 || got[0] != "a" {
		t.Errorf("c depends on %v, want [a]", got)
	}
	if got := m.Jobs()[0].Manifests[0].Job.Annotations["tier"]; got != "batch" {
		t.Errorf("aliased annotations: tier=%q", got)
	}
}

// TestDeeplyNested: 100,000 nested lists or mappings, in the model and in
// a manifest: refused, without exhausting the stack.
func TestDeeplyNested(t *testing.T) {
	job := goodJob(t)
	deepList := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepMap := strings.Repeat("{a: ", 100_000) + "b" + strings.Repeat("}", 100_000)
	for _, tc := range []struct{ name, model, manifest string }{
		{"model/list", "x: " + deepList + "\n" + oneJobModel, job},
		{"model/map", "x: " + deepMap + "\n" + oneJobModel, job},
		{"manifest/list", oneJobModel, job + "x: " + deepList + "\n"},
		{"manifest/map", oneJobModel, job + "x: " + deepMap + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAll(t, dir, map[string]string{"jobermodel.yaml": tc.model, "job.yaml": tc.manifest})
			_, took, _, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 10*time.Second, 512<<20)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if len(msg) > 300 {
				msg = msg[:300] + "..."
			}
			t.Logf("MEASURE %s: refused in %s: %s", tc.name, took.Round(time.Millisecond), msg)
		})
	}
}

// TestBinaryManifest: a binary file as manifest (and as model) is refused
// with a clear problem naming it.
func TestBinaryManifest(t *testing.T) {
	bin := make([]byte, 64<<10)
	for i := range bin {
		bin[i] = byte(i*7 + i/251)
	}
	copy(bin, "\x7fELF\x02\x01\x01\x00")
	dir := t.TempDir()
	writeAll(t, dir, map[string]string{"jobermodel.yaml": oneJobModel, "job.yaml": string(bin), "model.bin": string(bin)})
	_, _, _, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 10*time.Second, 64<<20)
	if err == nil || !strings.Contains(err.Error(), `job "a": `+filepath.Join(dir, "job.yaml")+": ") {
		t.Fatalf("binary manifest: %v", err)
	}
	t.Logf("binary manifest: %v", err)
	_, _, _, err = loadBounded(t, filepath.Join(dir, "model.bin"), 10*time.Second, 64<<20)
	if err == nil {
		t.Fatal("binary model accepted")
	}
	t.Logf("binary model: %v", err)
}

// TestSymlinkLoops: a job_path that is a symbolic link loop, and a
// directory job holding one (a looping .yaml link, and a link back to its
// own folder, which is not followed): clear problems, no hang.
func TestSymlinkLoops(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, map[string]string{
		"jobermodel.yaml": `jobernetes:
  - phase_name: p
    jobs:
      - {name: file_loop, job_path: loop.yaml}
      - {name: dir_loop, job_path: d, type: directory}
      - {name: dir_up, job_path: up, type: directory}
`,
		"d/ok.yaml":  goodJob(t),
		"up/ok.yaml": goodJob(t),
	})
	for _, l := range [][2]string{
		{"loop.yaml", "loop.yaml"},       // loop.yaml -> itself
		{"loop-a.yaml", "d/loop-b.yaml"}, // a -> b -> a
		{"d/loop-b.yaml", "../loop-a.yaml"},
		{"up/parent", ".."}, // a folder link: not followed
	} {
		if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 10*time.Second, 64<<20)
	var ve *ValidationError
	if !asValidation(err, &ve) {
		t.Fatalf("error %v", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, strings.ReplaceAll(strings.TrimPrefix(unplaced(p).String(), p.File+": "), dir+string(filepath.Separator), ""))
	}
	sameLines(t, got, []string{
		`phase "p": job "file_loop": jobernetes[0].jobs[0].job_path: cannot read loop.yaml: too many levels of symbolic links`,
		`phase "p": job "dir_loop": d/loop-b.yaml: cannot read d/loop-b.yaml: too many levels of symbolic links`,
	})
}

func asValidation(err error, ve **ValidationError) bool {
	return errors.As(err, ve)
}

// TestSpecialFiles: /dev/zero, a FIFO (nobody writes to it) and a socket
// as job_path, and a FIFO inside a directory job: refused as not regular
// files, without reading or waiting on them.
func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, map[string]string{"d/ok.yaml": goodJob(t)})
	for _, p := range []string{"fifo.yaml", "d/fifo.yaml"} {
		if err := syscall.Mkfifo(filepath.Join(dir, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model := `jobernetes:
  - phase_name: p
    jobs:
      - {name: zero, job_path: /dev/zero}
      - {name: fifo, job_path: fifo.yaml}
      - {name: dir, job_path: d, type: directory}
`
	writeAll(t, dir, map[string]string{"jobermodel.yaml": model})
	_, took, _, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 10*time.Second, 64<<20)
	var ve *ValidationError
	if !asValidation(err, &ve) {
		t.Fatalf("error %v", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, strings.ReplaceAll(strings.TrimPrefix(unplaced(p).String(), p.File+": "), dir+string(filepath.Separator), ""))
	}
	sameLines(t, got, []string{
		`phase "p": job "zero": /dev/zero: not a regular file...`,
		`phase "p": job "fifo": fifo.yaml: not a regular file...`,
		`phase "p": job "dir": d/fifo.yaml: not a regular file...`,
	})
	t.Logf("MEASURE special files refused in %s", took.Round(time.Millisecond))
}

// TestHundredThousandJobs: a model of 100,000 jobs in 3 phases (a fan-out,
// 1,000 chains of 50, independent jobs) loads correctly; time and memory
// are reported.
func TestHundredThousandJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("jobernetes_config:\n  cleanup: true\njobernetes:\n  - phase_name: fan\n    jobs:\n      - {name: root, job_path: job.yaml}\n")
	for i := range 29_999 {
		fmt.Fprintf(&b, "      - {name: fan_%d, job_path: job.yaml, depends_on: [root]}\n", i)
	}
	b.WriteString("  - phase_name: chains\n    jobs:\n")
	for c := range 1_000 {
		for i := range 50 {
			if i == 0 {
				fmt.Fprintf(&b, "      - {name: c%d_%d, job_path: job.yaml}\n", c, i)
			} else {
				fmt.Fprintf(&b, "      - {name: c%d_%d, job_path: job.yaml, depends_on: [c%d_%d]}\n", c, i, c, i-1)
			}
		}
	}
	b.WriteString("  - phase_name: flat\n    jobs:\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "      - {name: flat_%d, job_path: job.yaml}\n", i)
	}
	writeAll(t, dir, map[string]string{"jobermodel.yaml": b.String(), "job.yaml": goodJob(t)})
	var after runtime.MemStats
	m, took, alloc, err := loadBounded(t, filepath.Join(dir, "jobermodel.yaml"), 2*time.Minute, 4<<30)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after) // what the loaded model keeps
	if m.Graph.Len() != 100_000 || len(m.Jobs()) != 100_000 || m.KubernetesJobs() != 100_000 || len(m.Phases) != 3 {
		t.Fatalf("graph of %d nodes, %d jobs, %d Kubernetes Jobs, %d phases", m.Graph.Len(), len(m.Jobs()), m.KubernetesJobs(), len(m.Phases))
	}
	path, _ := m.Graph.CriticalPath(func(int) time.Duration { return time.Second })
	if len(path) != 2+50+1 {
		t.Errorf("critical path of %d jobs, want 53 (fan 2, a chain of 50, flat 1)", len(path))
	}
	t.Logf("MEASURE 100,000 jobs (%d MiB model): loaded in %s, %d MiB allocated, the model keeps %d MiB of heap",
		b.Len()>>20, took.Round(time.Millisecond), alloc>>20, after.HeapAlloc>>20)
	runtime.KeepAlive(m)
}

// TestJobPathsOutsideTheModelFolder: job_paths into a sibling folder
// (../shared/job.yaml), through a symbolic link and absolute ones work
// locally; names derive from the path relative to the model's folder.
func TestJobPathsOutsideTheModelFolder(t *testing.T) {
	root := t.TempDir()
	writeAll(t, root, map[string]string{
		"shared/job.yaml":      goodJob(t),
		"shared/dir/one.yaml":  goodJob(t),
		"shared/dir/two.yaml":  goodJob(t),
		"models/nightly/x.txt": "",
	})
	if err := os.Symlink(filepath.Join(root, "shared"), filepath.Join(root, "models", "nightly", "link")); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "shared", "job.yaml")
	model := `jobernetes:
  - phase_name: p
    jobs:
      - {name: sibling, job_path: ../../shared/job.yaml}
      - {name: dir, job_path: ../../shared/dir, type: directory}
      - {name: linked, job_path: link/job.yaml}
      - {name: absolute, job_path: ` + abs + `}
`
	writeAll(t, root, map[string]string{"models/nightly/jobermodel.yaml": model})
	m, err := Load(filepath.Join(root, "models", "nightly", "jobermodel.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, j := range m.Jobs() {
		for _, mf := range j.Manifests {
			rel = append(rel, j.Name+" "+mf.RelPath)
			if _, err := os.Stat(mf.Path); err != nil {
				t.Errorf("%s: Path %s: %v", j.Name, mf.Path, err)
			}
		}
	}
	sameLines(t, rel, []string{
		"sibling ../../shared/job.yaml",
		"dir ../../shared/dir/one.yaml",
		"dir ../../shared/dir/two.yaml",
		"linked link/job.yaml",
		"absolute ../../shared/job.yaml",
	})
}

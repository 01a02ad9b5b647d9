package controller

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// TestMemoryScale reports the heap of a layered run the size of
// `make bench-scale` (30 layers of 1,000 by default) driven to its end over
// the fake clientset: after loading the model from YAML as `jobernetes run`
// does, after the first layer is created, and at every tenth of the run.
// Opt-in (JOBERNETES_MEMORY=1; JOBERNETES_MEMORY_SHAPE=LxW,
// JOBERNETES_MEMORY_PROFILE=dir writes heap profiles there): it measures,
// it asserts only that the run ends with every Job created once.
func TestMemoryScale(t *testing.T) {
	if os.Getenv("JOBERNETES_MEMORY") != "1" {
		t.Skip("JOBERNETES_MEMORY=1 runs it")
	}
	layers, width := 30, 1000
	if s := os.Getenv("JOBERNETES_MEMORY_SHAPE"); s != "" {
		l, w, _ := strings.Cut(s, "x")
		layers, _ = strconv.Atoi(l)
		width, _ = strconv.Atoi(w)
	}
	profDir := os.Getenv("JOBERNETES_MEMORY_PROFILE")
	if profDir != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 4096 // the default 512 KiB blurs structures of a few hundred bytes each
	}
	var peakInuse, peakSys uint64
	heap := func(label string) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%-22s live heap %6.1f MiB  HeapSys %6.1f MiB  Sys %6.1f MiB  objects %d",
			label, mib(ms.HeapAlloc), mib(ms.HeapSys), mib(ms.Sys), ms.HeapObjects)
		if profDir != "" {
			f, err := os.Create(filepath.Join(profDir, strings.ReplaceAll(label, " ", "-")+".heap"))
			if err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
	}
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peakInuse, peakSys = max(peakInuse, ms.HeapInuse), max(peakSys, ms.Sys)
	}

	path := writeLayeredModel(t, layers, width)
	heap("start")
	held := newHeldSampler()
	m, err := config.Load(path, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sample()
	t.Logf("loading: runtime memory held peaked at %.1f MiB", mib(held.stop()))
	heap("model loaded")
	held = newHeldSampler()
	r := newBenchRun(t, m, time.Second)
	sample()
	t.Logf("controller, record, first layer: runtime memory held peaked at %.1f MiB", mib(held.stop()))
	heap("first layer created")
	held = newHeldSampler()
	defer func() { t.Logf("the run's end: runtime memory held peaked at %.1f MiB", mib(held.stop())) }()
	total := layers * width
	done := 0
	for r.completeOne(t) {
		r.now = r.now.Add(25 * time.Millisecond)
		r.sync(t)
		done++
		if done%(total/10) == 0 {
			sample()
			t.Logf("runtime memory held peaked at %.1f MiB", mib(held.stop()))
			heap(fmt.Sprintf("%d completed", done))
			held = newHeldSampler()
		}
	}
	if r.c.end.result == nil {
		t.Fatalf("run did not end after %d completions", done)
	}
	if done != total {
		t.Fatalf("%d Jobs completed, want %d", done, total)
	}
	sample()
	t.Logf("peak HeapInuse %.1f MiB, peak Sys %.1f MiB (sampled)", mib(peakInuse), mib(peakSys))
	runtime.KeepAlive(r)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// heldSampler polls, every millisecond, the memory the Go runtime holds
// from the OS (mapped, not released: what RSS follows) and keeps its peak;
// runtime/metrics reads it without stopping the world.
type heldSampler struct {
	done chan struct{}
	peak chan uint64
}

func newHeldSampler() *heldSampler {
	h := &heldSampler{done: make(chan struct{}), peak: make(chan uint64)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64()-s[1].Value.Uint64())
			select {
			case <-h.done:
				h.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heldSampler) stop() uint64 {
	close(h.done)
	return <-h.peak
}

// writeLayeredModel writes the model test/bench writes for layered-LxW: one
// flow mapping per job, every job naming the one job.yaml.
func writeLayeredModel(t *testing.T, layers, width int) string {
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "jobernetes_config:\n  cleanup: true\n  jobname: layered-%dx%d\njobernetes:\n  - phase_name: dag\n    jobs:\n", layers, width)
	name := func(l, i int) string { return fmt.Sprintf("l%03dn%04d", l, i) }
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			if l == 0 {
				fmt.Fprintf(&b, "      - {name: %s, job_path: job.yaml}\n", name(l, i))
				continue
			}
			fmt.Fprintf(&b, "      - {name: %s, job_path: job.yaml, depends_on: [%s, %s]}\n", name(l, i), name(l-1, i), name(l-1, (i+1)%width))
		}
	}
	model := filepath.Join(dir, "jobermodel.yaml")
	if err := os.WriteFile(model, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := `apiVersion: batch/v1
kind: Job
metadata:
  name: bench
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        test.jobernetes.io/duration: "0s"
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: registry.invalid/fake:latest
`
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return model
}

package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModel generates a model of n jobs in one phase that all use one
// shared manifest file. deps gives the dependencies of job i.
func writeModel(b *testing.B, n int, deps func(i int) string) string {
	dir := b.TempDir()
	good, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), good, 0o644); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("jobernetes_config:\n  cleanup: true\njobernetes:\n  - phase_name: generated\n    jobs:\n")
	for i := range n {
		fmt.Fprintf(&sb, "      - name: job_%d\n        job_path: job.yaml\n", i)
		if d := deps(i); d != "" {
			fmt.Fprintf(&sb, "        depends_on: [%s]\n", d)
		}
	}
	path := filepath.Join(dir, "jobermodel.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkLoad(b *testing.B) {
	shapes := []struct {
		name string
		deps func(i int) string
	}{
		{"fanout", func(i int) string { // job_0 <-- every other job
			if i == 0 {
				return ""
			}
			return "job_0"
		}},
		{"chain", func(i int) string { // job_0 <-- job_1 <-- job_2 ...
			if i == 0 {
				return ""
			}
			return fmt.Sprintf("job_%d", i-1)
		}},
	}
	for _, shape := range shapes {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", shape.name, n), func(b *testing.B) {
				path := writeModel(b, n, shape.deps)
				b.ReportAllocs()
				for b.Loop() {
					m, err := Load(path, LoadOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if m.Graph.Len() != n {
						b.Fatal("wrong size")
					}
				}
			})
		}
	}
}

// benchWhen is the common shape of `when`, which the fast path reads.
const benchWhen = `results.detect.changed == "true" && results.detect.count > %d`

// BenchmarkLoadWhen10000 is validate's cost for 10,000 distinct `when`
// expressions (issue 23: under 1 s), or the same one 10,000 times.
func BenchmarkLoadWhen10000(b *testing.B) {
	for _, distinct := range []bool{true, false} {
		b.Run(fmt.Sprintf("distinct=%v", distinct), func(b *testing.B) {
			dir := b.TempDir()
			good, err := os.ReadFile(filepath.Join("testdata", "valid", "yaml11", "job.yaml"))
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "job.yaml"), good, 0o644); err != nil {
				b.Fatal(err)
			}
			var sb strings.Builder
			sb.WriteString("jobernetes:\n  - phase_name: plan\n    jobs:\n      - name: detect\n        job_path: job.yaml\n        results: [changed, count]\n")
			sb.WriteString("  - phase_name: ship\n    jobs:\n")
			for i := range 10000 {
				limit := 3
				if distinct {
					limit = i
				}
				fmt.Fprintf(&sb, "      - name: job_%d\n        job_path: job.yaml\n        when: "+benchWhen+"\n", i, limit)
			}
			if _, fast := fastWhen(fmt.Sprintf(benchWhen, 9999)); !fast {
				b.Fatalf("%s does not take the fast path of when_fast.go", benchWhen)
			}
			path := filepath.Join(dir, "jobermodel.yaml")
			if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := Load(path, LoadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jobernetes/jobernetes/pkg/graph"
)

// node is one job of a benchmark DAG; names are short, lower-case and
// alphanumeric, so they are valid model job names, Job names and label values.
type node struct {
	name string
	deps []string
}

// shape is a benchmark DAG: one phase, edges by depends_on.
type shape struct {
	name  string // e.g. chain-50
	nodes []node
	// light: at most a few Jobs in flight at once (a chain), so runs of it
	// may share the control plane without loading it.
	light bool
}

func chain(n int) shape {
	s := shape{name: fmt.Sprintf("chain-%d", n), light: true}
	for i := 0; i < n; i++ {
		nd := node{name: fmt.Sprintf("c%04d", i)}
		if i > 0 {
			nd.deps = []string{fmt.Sprintf("c%04d", i-1)}
		}
		s.nodes = append(s.nodes, nd)
	}
	return s
}

// fanOut is a root and n-1 Jobs that depend on it.
func fanOut(n int) shape {
	s := shape{name: fmt.Sprintf("fanout-%d", n), nodes: []node{{name: "root"}}}
	for i := 1; i < n; i++ {
		s.nodes = append(s.nodes, node{name: fmt.Sprintf("f%05d", i), deps: []string{"root"}})
	}
	return s
}

// wave is a diamond: a root, n Jobs that depend on it (the wave) and a sink
// that depends on all of them. Its figure is how long after the root's
// completion the wave's last Job is created.
func wave(n int) shape {
	s := shape{name: fmt.Sprintf("wave-%d", n), nodes: []node{{name: "root"}}}
	sink := node{name: "sink"}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("w%05d", i)
		s.nodes = append(s.nodes, node{name: name, deps: []string{"root"}})
		sink.deps = append(sink.deps, name)
	}
	s.nodes = append(s.nodes, sink)
	return s
}

// layered is `layers` layers of `width` Jobs; every Job past the first layer
// depends on two neighbours of the layer before (a lattice of diamonds).
func layered(layers, width int) shape {
	s := shape{name: fmt.Sprintf("layered-%d", layers*width)}
	name := func(l, i int) string { return fmt.Sprintf("l%03dn%04d", l, i) }
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			nd := node{name: name(l, i)}
			if l > 0 {
				nd.deps = []string{name(l-1, i), name(l-1, (i+1)%width)}
				if width == 1 {
					nd.deps = nd.deps[:1]
				}
			}
			s.nodes = append(s.nodes, nd)
		}
	}
	return s
}

// layeredLxW is layered named by its layers and width (layered-20x10), as
// JOBERNETES_BENCH_SHAPES spells it: layered-20x10 and layered-5x40 are both
// 200 Jobs.
func layeredLxW(layers, width int) shape {
	s := layered(layers, width)
	s.name = fmt.Sprintf("layered-%dx%d", layers, width)
	return s
}

// graph builds the shape's DAG with the project's own graph package (the
// floor is its CriticalPath).
func (s shape) graph() (*graph.Graph, error) {
	spec := graph.PhaseSpec{Name: "dag"}
	for _, n := range s.nodes {
		spec.Nodes = append(spec.Nodes, graph.NodeSpec{Name: n.name, DependsOn: n.deps})
	}
	return graph.Build([]graph.PhaseSpec{spec})
}

// levels groups the nodes by topological level (the longest path from a
// root), the unit a hand-written script waits for.
func (s shape) levels() [][]string {
	level := map[string]int{}
	var out [][]string
	for _, n := range s.nodes { // nodes are written after their deps
		l := 0
		for _, d := range n.deps {
			l = max(l, level[d]+1)
		}
		level[n.name] = l
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], n.name)
	}
	return out
}

// jobSpec is the body every benchmark Job shares: one pod that kwok finishes
// after d (test.jobernetes.io/duration), no retries.
func jobSpec(d time.Duration, indent string) string {
	body := fmt.Sprintf(`spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        test.jobernetes.io/duration: %q
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: registry.invalid/fake:latest
`, d.String())
	if indent == "" {
		return body
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	return indent + strings.Join(lines, "\n"+indent) + "\n"
}

// writeModel writes a jobernetes model of s and its one Job manifest into
// dir; it returns the model path.
func writeModel(dir string, s shape, d time.Duration, cleanup bool) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "jobernetes_config:\n  cleanup: %v\n  jobname: %s\njobernetes:\n  - phase_name: dag\n    jobs:\n", cleanup, s.name)
	for _, n := range s.nodes {
		if len(n.deps) == 0 {
			fmt.Fprintf(&b, "      - {name: %s, job_path: job.yaml}\n", n.name)
		} else {
			fmt.Fprintf(&b, "      - {name: %s, job_path: job.yaml, depends_on: [%s]}\n", n.name, strings.Join(n.deps, ", "))
		}
	}
	model := filepath.Join(dir, "jobermodel.yaml")
	if err := os.WriteFile(model, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	manifest := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bench\n" + jobSpec(d, "")
	return model, os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(manifest), 0o644)
}

// labelNode maps the Jobs of the kubectl and polling baselines to DAG nodes
// (jobernetes' own Jobs carry jobernetes.io/job).
const labelNode = "bench.jobernetes.io/node"

// kubectlScript is the shell baseline for s, written the way such scripts
// are written by hand: per topological level, `kubectl apply` the level's
// Jobs, then `kubectl wait` for each of them to complete. It returns the
// script and the level manifests (file name -> content).
func kubectlScript(s shape, d time.Duration) (string, map[string]string) {
	levels := s.levels()
	files := map[string]string{}
	var b strings.Builder
	fmt.Fprintf(&b, `#!/usr/bin/env bash
# %s: %d Jobs in %d levels, run level by level with kubectl.
# Generated by test/bench (kubectlScript); a readable copy is committed as
# test/bench/baselines/kubectl-wait.example.sh.
#
# This is how a DAG of Jobs is run by hand today: apply a level, wait until
# every Job of it is Complete, go on. A failed Job is not noticed: its wait
# runs into the timeout. level-NNN.yaml holds the level's Jobs. Environment:
# KUBECONFIG, NS, TIMEOUT (e.g. 3600s).
set -euo pipefail
cd "$(dirname "$0")"
: "${NS:?namespace}" "${TIMEOUT:=3600s}"
`, s.name, len(s.nodes), len(levels))
	for i, lvl := range levels {
		file := fmt.Sprintf("level-%03d.yaml", i)
		var m strings.Builder
		for _, name := range lvl {
			fmt.Fprintf(&m, "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\n  labels:\n    %s: %s\n%s", name, labelNode, name, jobSpec(d, ""))
		}
		files[file] = m.String()
		fmt.Fprintf(&b, "\n# level %d: %d Job(s)\nkubectl apply -n \"$NS\" -f %s\n", i, len(lvl), file)
		b.WriteString(`kubectl wait -n "$NS" --for=condition=complete --timeout="$TIMEOUT"`)
		for _, name := range lvl {
			b.WriteString(" job/" + name)
		}
		b.WriteString("\n")
	}
	return b.String(), files
}

// writeKubectlScript writes the script and its level manifests into dir and
// returns the script's path.
func writeKubectlScript(dir string, s shape, d time.Duration) (string, error) {
	script, files := kubectlScript(s, d)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "run-levels.sh")
	return path, os.WriteFile(path, []byte(script), 0o755)
}

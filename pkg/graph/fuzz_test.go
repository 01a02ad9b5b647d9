package graph

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzBuild feeds Build arbitrary models written one node per line as
// "phase node dep dep ...", and checks that it never panics and that every
// graph it accepts keeps its promises.
func FuzzBuild(f *testing.F) {
	f.Add("p a\np b a\nq c\nq d c")
	f.Add("p a b\np b a")
	f.Add("p a a a\nq a\n p  \n")
	f.Add("p a b c\np b c\np c a\nq x p\nq y y\n")
	f.Fuzz(func(t *testing.T, text string) {
		var phases []PhaseSpec
		for _, line := range strings.Split(text, "\n") {
			fields := strings.Split(line, " ")
			if len(fields) < 2 {
				continue
			}
			if len(phases) == 0 || phases[len(phases)-1].Name != fields[0] {
				phases = append(phases, PhaseSpec{Name: fields[0]})
			}
			p := &phases[len(phases)-1]
			p.Nodes = append(p.Nodes, NodeSpec{Name: fields[1], DependsOn: fields[2:]})
		}
		g, err := Build(phases)
		if err != nil {
			if g != nil {
				t.Fatal("graph and error together")
			}
			if be := (*BuildError)(nil); !errors.As(err, &be) || len(be.Problems) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			return
		}
		checkTopo(t, g)
		// Completing nodes in the order Decide starts them succeeds the run.
		st := make([]NodeState, g.Len())
		for {
			d := g.Decide(st, Run{})
			if d.Result != RunRunning {
				if d.Result != RunSucceeded || len(d.Skip) > 0 {
					t.Fatalf("run ended %v, skips %v", d.Result, d.Skip)
				}
				break
			}
			if len(d.Create) == 0 {
				t.Fatalf("stuck at %v", st)
			}
			for _, i := range d.Create {
				if st[i].Main != Pending {
					t.Fatalf("node %d started twice", i)
				}
				st[i].Main = Succeeded
			}
		}
		path, _ := g.CriticalPath(func(i int) time.Duration { return time.Duration(len(g.Node(i).Name)) })
		for k := 1; k < len(path); k++ {
			if g.TopoPosition(path[k-1]) >= g.TopoPosition(path[k]) {
				t.Fatalf("critical path goes backwards: %v", path)
			}
		}
	})
}

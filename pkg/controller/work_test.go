package controller

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	core "k8s.io/client-go/testing"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// checkWork: what the sync keeps instead of looking at everything agrees
// with everything: the Frontier holds each node's state as its units fold,
// and every unit that is not at rest is live.
func checkWork(t *testing.T, c *Controller) {
	t.Helper()
	states := c.graphState().States()
	for i, n := range c.nodes {
		if got, want := states[i], n.state(); got != want {
			t.Fatalf("node %s: the Frontier holds %+v, its units fold to %+v", n.job.Name, got, want)
		}
	}
	for _, u := range c.units {
		finished := u.state == unitSucceeded || u.state == unitFailed || u.state == unitSkipped
		undeleted := u.state == unitSucceeded && c.model.Options.Cleanup && !u.deleteIssued.cleanup && c.cachedJob(context.Background(), u.name) != nil
		busy := u.state == unitActive || u.state != u.said.state || finished && !u.inRecord.final ||
			u.state == unitNotCreated && u.inRecord.created || undeleted
		if busy && !c.work.isLive[u.index] {
			t.Fatalf("unit %s (%v, said %v, record %+v) has something to be done and is not live", u.name, u.state, u.said.state, u.inRecord)
		}
	}
}

// TestIncrementalSyncMatchesFullSync runs random runs twice in lockstep:
// once as every sync now runs (the live units, the Frontier), once with
// every sync visiting every unit as a process's first sync does. The same
// Jobs finish the same way in both; both must create the same Jobs, print
// the same lines and end the same way.
func TestIncrementalSyncMatchesFullSync(t *testing.T) {
	models := []struct {
		name    string
		phases  [][]string
		finally bool
	}{
		{"lattice", [][]string{{"a", "b", "c<-a,b", "d<-b", "e<-c,d", "f<-e?all_done"}, {"g", "h<-g"}}, false},
		{"rules and reverts", [][]string{{"a!", "b<-a!", "c<-a?one_failed", "d<-a,b?all_done", "dir:e:3"}, {"f!", "g<-f"}, {"h", "i?all_done"}}, true},
		{"directories", [][]string{{"dir:a:3", "dir:b:2<-a", "c<-b"}, {}, {"d", "dir:e:2<-d"}}, false},
	}
	for seed := int64(0); seed < 36; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mt := models[seed%int64(len(models))]
		policy := []string{config.PolicyStop, config.PolicyAbort, config.PolicyContinue}[rng.Intn(3)]
		par, cleanup, failRate := rng.Intn(3), rng.Intn(2) == 0, []float64{0, 0.1, 0.3}[rng.Intn(3)]
		name := fmt.Sprintf("%s/seed=%d/%s/par=%d/cleanup=%v/fail=%v", mt.name, seed, policy, par, cleanup, failRate)
		t.Run(name, func(t *testing.T) {
			newOne := func() (*fixture, *bytes.Buffer) {
				m := withPolicy(testModel(t, par, cleanup, mt.phases...), policy)
				if mt.finally {
					m.Options.FinallyPhase = m.Phases[len(m.Phases)-1].Name
					buildGraph(t, m)
				}
				f := newFixture(t, m)
				if failRate > 0 {
					// Some creates are refused for good (as an admission
					// webhook would): the unit fails inside act.
					f.client.PrependReactor("create", "jobs", func(a core.Action) (bool, runtime.Object, error) {
						name := a.(core.CreateAction).GetObject().(*batchv1.Job).Name
						h := fnv.New32a()
						_, _ = h.Write([]byte(name))
						if h.Sum32()%7 != 0 {
							return false, nil, nil
						}
						return true, nil, apierrors.NewInvalid(batchv1.SchemeGroupVersion.WithKind("Job").GroupKind(), name, nil)
					})
				}
				var out bytes.Buffer
				progressTo(&out)(&f.c.opts)
				return f, &out
			}
			inc, incOut := newOne()
			full, fullOut := newOne()
			for step := 0; inc.c.end.result == nil; step++ {
				if step > 200 {
					t.Fatalf("the run does not end (with full syncs: ended %v):\n%s", full.c.end.result != nil, incOut)
				}
				full.c.work.full = true
				inc.sync()
				full.sync()
				checkWork(t, inc.c)
				a, b := inc.actions("create", "jobs"), full.actions("create", "jobs")
				slices.Sort(a) // the creates of one sync run concurrently
				slices.Sort(b)
				if !slices.Equal(a, b) {
					t.Fatalf("step %d: created %v, with full syncs %v", step, a, b)
				}
				if incOut.String() != fullOut.String() {
					t.Fatalf("step %d: lines differ:\n%s\nwith full syncs:\n%s", step, incOut, fullOut)
				}
				a, b = inc.actions("delete", "jobs"), full.actions("delete", "jobs")
				slices.Sort(a)
				slices.Sort(b)
				if !slices.Equal(a, b) {
					t.Fatalf("step %d: deleted %v, with full syncs %v", step, a, b)
				}
				if (full.c.end.result == nil) != (inc.c.end.result == nil) {
					t.Fatalf("step %d: ended %v, with full syncs %v", step, inc.c.end.result != nil, full.c.end.result != nil)
				}
				tick := time.Duration(rng.Intn(1500)) * time.Millisecond // records wait for RecordInterval
				inc.now, full.now = inc.now.Add(tick), full.now.Add(tick)
				for _, name := range unfinished(inc) {
					if rng.Intn(2) == 0 {
						ok := rng.Float64() >= failRate
						inc.finishName(name, ok)
						full.finishName(name, ok)
					}
				}
			}
			a, b := inc.c.end.result, full.c.end.result
			if a.Succeeded != b.Succeeded || !slices.Equal(a.Skipped, b.Skipped) || (a.Failure == nil) != (b.Failure == nil) ||
				a.Failure != nil && a.Failure.Job != b.Failure.Job {
				t.Fatalf("result %+v, with full syncs %+v", a, b)
			}
			if want := map[bool]string{true: record.ResultSucceeded, false: record.ResultFailed}[a.Succeeded]; inc.c.rec().Result != want {
				t.Fatalf("the record says %q, the run %q", inc.c.rec().Result, want)
			}
			if a, b := recorded(inc.c), recorded(full.c); a != b {
				t.Fatalf("recorded %s\nwith full syncs %s", a, b)
			}
			if !strings.Contains(incOut.String(), "created") {
				t.Fatalf("nothing ran:\n%s", incOut)
			}
		})
	}
}

// unfinished are the names of the Jobs on the fake server without a
// finished condition, sorted.
func unfinished(f *fixture) []string {
	jobs, _ := f.client.BatchV1().Jobs("ns").List(f.ctx, metav1.ListOptions{})
	var out []string
	for i := range jobs.Items {
		if runmeta.FinishedCondition(&jobs.Items[i]) == nil {
			out = append(out, jobs.Items[i].Name)
		}
	}
	slices.Sort(out)
	return out
}

// recorded is what the run record says of each Job, one line each, sorted.
func recorded(c *Controller) string {
	var lines []string
	for name, j := range c.rec().Jobs {
		lines = append(lines, fmt.Sprintf("%s %s %s", name, j.Result, j.Reason))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

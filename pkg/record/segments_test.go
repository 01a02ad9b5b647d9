package record

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// smallSegments is the option of a store whose segments hold n bytes.
func smallSegments(n int) StoreOption { return WithSegmentBytes(n) }

func testPlan(n, attempt int) []PlanJob {
	plan := make([]PlanJob, n)
	for i := range plan {
		plan[i] = PlanJob{Phase: "p", Job: fmt.Sprintf("j%05d", i), KubernetesJobs: []string{jobName(i, attempt)}}
		if i > 0 {
			plan[i].DependsOn = []string{fmt.Sprintf("j%05d", i-1)}
		}
	}
	return plan
}

func jobName(i, attempt int) string { return fmt.Sprintf("j%05d-a%d-abcdefgh", i, attempt) }

// uid looks like an API server's: random, so it does not compress.
func uid(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// runJobs records n Jobs the way a run does: created in batches, then
// finished, one write per batch.
func runJobs(ctx context.Context, t testing.TB, s Store, n, batch int) {
	for lo := 0; lo < n; lo += batch {
		created, finished := map[string]*JobRecord{}, map[string]*JobRecord{}
		for i := lo; i < min(lo+batch, n); i++ {
			created[jobName(i, 1)] = &JobRecord{Job: fmt.Sprintf("j%05d", i), Phase: "p", UID: uid(i), CreatedAt: int64(i), Result: JobCreated}
			finished[jobName(i, 1)] = &JobRecord{Job: fmt.Sprintf("j%05d", i), Phase: "p", UID: uid(i), CreatedAt: int64(i), StartedAt: int64(i + 1), FinishedAt: int64(i + 2), Result: JobSucceeded}
		}
		for _, jobs := range []map[string]*JobRecord{created, finished} {
			if err := s.Update(ctx, Change{Jobs: jobs}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A record of many segments reads back whole with one LIST, and no object
// of it grows past the segment bound: the plan and the Jobs are spread over
// segments that are written once each.
func TestSegmentedRecordReadsBackWhole(t *testing.T) {
	small := smallSegments(4 << 10)
	ctx := context.Background()
	client := withResourceVersions(fake.NewClientset())
	s := NewStore(client, "ns", "r1", nil, small)
	if err := s.Create(ctx, &Record{RunID: "r1", Result: ResultRunning, Plan: testPlan(2000, 1), Jobs: map[string]*JobRecord{}}); err != nil {
		t.Fatal(err)
	}
	runJobs(ctx, t, s, 1500, 25)
	if err := s.Update(ctx, Change{Run: func(r *Record) { r.Result = ResultSucceeded }}); err != nil {
		t.Fatal(err)
	}
	list, err := client.CoreV1().ConfigMaps("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	segments := 0
	for _, cm := range list.Items {
		size := len(cm.BinaryData[segmentKey]) + len(cm.BinaryData[tailKey])
		if size > 4<<10 {
			t.Errorf("%s holds %d bytes, over %d", cm.Name, size, 4<<10)
		}
		if cm.Labels[LabelSegment] != "" {
			segments++
		}
	}
	if segments < 10 {
		t.Errorf("%d segments, want the record spread over many", segments)
	}
	got, err := Get(ctx, client, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Result != ResultSucceeded || len(got.Plan) != 2000 || len(got.Jobs) != 1500 || got.Planned != 2000 || got.Finished != 1500 {
		t.Fatalf("read back: result %s, %d plan entries, %d Jobs, counts %d/%d", got.Result, len(got.Plan), len(got.Jobs), got.Finished, got.Planned)
	}
	for i, pj := range got.Plan {
		if pj.Job != fmt.Sprintf("j%05d", i) {
			t.Fatalf("plan entry %d is %s: out of order", i, pj.Job)
		}
	}
	for name, jr := range got.Jobs {
		if jr.Result != JobSucceeded {
			t.Fatalf("Job %s: %s, want its final result to stand over Created", name, jr.Result)
		}
	}
	runs, err := List(ctx, client, "ns")
	if err != nil || len(runs) != 1 || runs[0].Planned != 2000 || runs[0].Finished != 1500 || runs[0].Result != ResultSucceeded {
		t.Errorf("List (heads only) = %+v, %v", runs, err)
	}
}

// A retry's plan is committed by the head write that starts the attempt:
// plan segments of a write that never got that far (a kill between them)
// are not read, and the next write of that plan wins.
func TestPlanWriteCommitsWithTheHead(t *testing.T) {
	small := smallSegments(2 << 10)
	ctx := context.Background()
	client := withResourceVersions(fake.NewClientset())
	s := NewStore(client, "ns", "r1", nil, small)
	if err := s.Create(ctx, &Record{RunID: "r1", Result: ResultFailed, Plan: testPlan(300, 1)}); err != nil {
		t.Fatal(err)
	}
	// A retry killed after its plan's segments, before the head's write.
	cs := s.(*configMapStore)
	if err := cs.writeSegments(ctx, segmentDoc{Entries: Entries{Plan: testPlan(300, 2)}, PlanGeneration: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, client, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if name := got.Plan[299].KubernetesJobs[0]; name != jobName(299, 1) || got.Attempt != 0 {
		t.Fatalf("after a plan write that did not commit: %s (attempt %d), want attempt 1's names", name, got.Attempt)
	}
	// The retry again, from a fresh store, as a resume would.
	s2 := NewStore(client, "ns", "r1", nil, small)
	if _, err := s2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	err = s2.Update(ctx, Change{Plan: testPlan(300, 2), Run: func(r *Record) { r.Attempt, r.Result = 2, ResultRunning }})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = Get(ctx, client, "ns", "r1"); err != nil {
		t.Fatal(err)
	}
	for i, pj := range got.Plan {
		if pj.KubernetesJobs[0] != jobName(i, 2) {
			t.Fatalf("plan entry %d names %s, want attempt 2's", i, pj.KubernetesJobs[0])
		}
	}
}

// A record written by an earlier version (format 1: everything in one
// ConfigMap) is read, shown and written on in its own format.
func TestFormat1RecordStillWorks(t *testing.T) {
	ctx := context.Background()
	old := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name("old"), Namespace: "ns",
		Labels: map[string]string{LabelRun: "old", LabelManagedBy: ManagedBy}}}
	rec := &Record{Version: 1, RunID: "old", Result: ResultRunning, Plan: testPlan(3, 1),
		Jobs: map[string]*JobRecord{jobName(0, 1): {Job: "j00000", Result: JobSucceeded}}}
	if err := Encode(old, rec); err != nil {
		t.Fatal(err)
	}
	client := withResourceVersions(fake.NewClientset())
	if _, err := client.CoreV1().ConfigMaps("ns").Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := NewStore(client, "ns", "old", nil)
	if r, err := s.Load(ctx); err != nil || len(r.Plan) != 3 || len(r.Jobs) != 1 {
		t.Fatalf("Load of a format-1 record: %+v, %v", r, err)
	}
	err := s.Update(ctx, Change{Jobs: map[string]*JobRecord{jobName(1, 1): {Job: "j00001", Result: JobFailed}}})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := client.CoreV1().ConfigMaps("ns").Get(ctx, Name("old"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, v2 := cm.Data[headKey]; v2 || cm.Data[recordKey] == "" {
		t.Errorf("a format-1 record was rewritten as %v", cm.Data)
	}
	runs, err := List(ctx, client, "ns")
	if err != nil || len(runs) != 1 || runs[0].Planned != 3 || runs[0].Finished != 2 {
		t.Errorf("List = %+v, %v", runs, err)
	}
}

// recordWrites counts the bytes and the writes of a run's record objects.
func recordWrites(client *fake.Clientset) (bytes, writes *int) {
	bytes, writes = new(int), new(int)
	client.PrependReactor("*", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetVerb() != "create" && a.GetVerb() != "update" {
			return false, nil, nil
		}
		cm := a.(k8stesting.CreateAction).GetObject().(*corev1.ConfigMap)
		*writes++
		for _, v := range cm.Data {
			*bytes += len(v)
		}
		for _, v := range cm.BinaryData {
			*bytes += len(v)
		}
		return false, nil, nil
	})
	return bytes, writes
}

// The bytes a run writes into its record grow with its Jobs, not with the
// square of them: each entry is written a bounded number of times.
func TestRecordBytesPerJob(t *testing.T) {
	for _, n := range []int{1000, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := context.Background()
			client := withResourceVersions(fake.NewClientset())
			bytes, writes := recordWrites(client)
			s := NewStore(client, "ns", "r1", nil)
			if err := s.Create(ctx, &Record{RunID: "r1", Result: ResultRunning, Plan: testPlan(n, 1)}); err != nil {
				t.Fatal(err)
			}
			runJobs(ctx, t, s, n, 20)
			perJob := float64(*bytes) / float64(n)
			if w, b := s.Stats(); w != *writes || b != *bytes {
				t.Errorf("Stats() = %d writes, %d bytes; the API server saw %d, %d", w, b, *writes, *bytes)
			}
			t.Logf("%d Jobs: %d record writes, %.0f record bytes per Job", n, *writes, perJob)
			if perJob > 2048 {
				t.Errorf("%.0f record bytes per Job, want at most 2 KB", perJob)
			}
		})
	}
}

// BenchmarkFlush is one flush late in a run of 30,000 Jobs: 50 Jobs
// finished since the last one. What it allocates is garbage the
// orchestrator makes once a second.
func BenchmarkFlush(b *testing.B) {
	ctx := context.Background()
	client := fake.NewClientset()
	s := NewStore(client, "ns", "r1", nil)
	if err := s.Create(ctx, &Record{RunID: "r1", Result: ResultRunning, Plan: testPlan(30000, 1)}); err != nil {
		b.Fatal(err)
	}
	runJobs(ctx, b, s, 29000, 500)
	batch := func(i int) map[string]*JobRecord {
		jobs := map[string]*JobRecord{}
		for k := range 50 {
			n := 29000 + (i*50+k)%1000
			jobs[jobName(n, 1)] = &JobRecord{Job: fmt.Sprintf("j%05d", n), Phase: "p", UID: uid(n), CreatedAt: 1, FinishedAt: 2, Result: JobSucceeded}
		}
		return jobs
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Update(ctx, Change{Jobs: batch(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

package controller

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/record"
)

// The run's summary Event lands on its record ConfigMap: Normal
// RunSucceeded, or Warning RunFailed naming the failed job.
func TestRecordRunEvent(t *testing.T) {
	for _, ok := range []bool{true, false} {
		f := newFixture(t, testModel(t, 0, false, []string{"a", "b<-a"}))
		f.sync()
		f.finish("a", ok)
		f.now = f.now.Add(2 * time.Second)
		f.sync()
		if ok {
			f.finish("b", true)
			f.sync()
		}
		res := f.c.end.result
		if res == nil {
			t.Fatalf("ok=%v: run did not end", ok)
		}
		if err := f.c.RecordRunEvent(f.ctx, res); err != nil {
			t.Fatal(err)
		}
		evs, err := f.client.CoreV1().Events("ns").List(f.ctx, metav1.ListOptions{})
		if err != nil || len(evs.Items) != 1 {
			t.Fatalf("ok=%v: %d Events, %v", ok, len(evs.Items), err)
		}
		ev := evs.Items[0]
		wantType, wantReason, wantMsg := corev1.EventTypeNormal, ReasonRunSucceeded, "Run r1 succeeded: 2 Jobs"
		if !ok {
			wantType, wantReason, wantMsg = corev1.EventTypeWarning, ReasonRunFailed, "job a (phase p0, Job "
		}
		if ev.Type != wantType || ev.Reason != wantReason || !strings.Contains(ev.Message, wantMsg) {
			t.Errorf("ok=%v: Event %s %s %q", ok, ev.Type, ev.Reason, ev.Message)
		}
		if !ok && !strings.Contains(ev.Message, "never ran: b") {
			t.Errorf("failed run's Event does not name the jobs that never ran: %q", ev.Message)
		}
		io := ev.InvolvedObject
		if io.Kind != "ConfigMap" || io.Name != record.Name("r1") || io.Namespace != "ns" || io.UID == "" {
			t.Errorf("involvedObject %+v", io)
		}
	}
}

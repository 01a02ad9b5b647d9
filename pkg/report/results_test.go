package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// A Job's results reach `run -o json` and JUnit (properties of its test
// case), and `status` reads them from the record, with the Jobs of a matrix
// decided at run time (not in the plan) in matrix order.
func TestResultsInReports(t *testing.T) {
	now := time.Now()
	res := &runmeta.Result{RunID: "r", Namespace: "ns", Succeeded: true, Started: now, Finished: now,
		Jobs: []runmeta.JobReport{{Phase: "plan", Job: "detect", Name: "detect-x", State: runmeta.StateSucceeded,
			Results: json.RawMessage(`{"changed":"true","regions":["eu","us"]}`)}}}
	b, _ := json.Marshal(NewRunReport(res, "m.yaml"))
	if !strings.Contains(string(b), `"results":{"changed":"true","regions":["eu","us"]}`) {
		t.Errorf("run -o json lacks the results: %s", b)
	}
	var x bytes.Buffer
	if err := WriteJUnitXML(&x, res, "m.yaml"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x.String(), `<property name="results.changed" value="&#34;true&#34;"></property>`) ||
		!strings.Contains(x.String(), `<property name="results.regions" value="[&#34;eu&#34;,&#34;us&#34;]"></property>`) {
		t.Errorf("JUnit lacks the results as properties:\n%s", x.String())
	}

	rec := &record.Stored{Record: &record.Record{RunID: "r", Result: record.ResultSucceeded,
		Plan: []record.PlanJob{{Phase: "ship", Job: "deploy"}},
		Jobs: map[string]*record.JobRecord{
			"deploy-10-aaaaaaaa": {Job: "deploy", Phase: "ship", Result: record.JobSucceeded, Results: json.RawMessage(`{"url":"c"}`)},
			"deploy-2-bbbbbbbb":  {Job: "deploy", Phase: "ship", Result: record.JobSucceeded, Results: json.RawMessage(`{"url":"b"}`)},
			"deploy-0-cccccccc":  {Job: "deploy", Phase: "ship", Result: record.JobSucceeded, Results: json.RawMessage(`{"url":"a"}`)},
		}}}
	st := RunStatusFrom(rec, nil, now)
	var got []string
	for _, j := range st.Jobs {
		if j.Replaced {
			t.Errorf("%s shown as replaced", j.KubernetesJob)
		}
		got = append(got, j.KubernetesJob+"="+string(j.Results))
	}
	if want := `deploy-0-cccccccc={"url":"a"} deploy-2-bbbbbbbb={"url":"b"} deploy-10-aaaaaaaa={"url":"c"}`; strings.Join(got, " ") != want {
		t.Errorf("status rows:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

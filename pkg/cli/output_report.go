package cli

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/report"
)

// RunReport is what `jobernetes run -o json` prints on stdout when the run
// has ended (exit 0 or 1): a stable schema for CI systems and scripts.
// Fields are only ever added under the same apiVersion.
type RunReport struct {
	APIVersion string `json:"apiVersion"` // jobernetes.io/v1alpha1
	Kind       string `json:"kind"`       // RunReport
	RunID      string `json:"runID"`
	Namespace  string `json:"namespace"`
	Model      string `json:"model,omitempty"` // the model file, as given to -f
	// Result is Succeeded, Failed or Cancelled.
	Result     string    `json:"result"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// WallSeconds is startedAt -> finishedAt; SummedJobSeconds adds up every
	// Job's run time; Parallelism is their ratio.
	WallSeconds      float64 `json:"wallSeconds"`
	SummedJobSeconds float64 `json:"summedJobSeconds"`
	Parallelism      float64 `json:"parallelism"`
	// CriticalPath is the chain of model jobs with the longest summed run
	// time, CriticalPathSeconds that time.
	CriticalPath        []string `json:"criticalPath"`
	CriticalPathSeconds float64  `json:"criticalPathSeconds"`
	// Failure is the first failed Job in DAG order; absent when the run
	// succeeded. When the run failed for another reason than a Job (a
	// deadline), only its reason and message are set.
	Failure *ReportJob `json:"failure,omitempty"`
	// NeverRan are the model jobs none of whose Jobs was created.
	NeverRan []string `json:"neverRan"`
	// Skipped are the model jobs decided never to run (a trigger rule, the
	// failure policy, a deadline); FailedReverts the jobs whose revert
	// (compensating) Job failed.
	Skipped       []string `json:"skipped"`
	FailedReverts []string `json:"failedReverts"`
	// Jobs holds every Kubernetes Job of the model, in DAG order.
	Jobs []ReportJob `json:"jobs"`
	// Attempt is the run's attempt (1, then +1 per --retry-failed); the
	// report's times span this attempt.
	Attempt int `json:"attempt"`
}

// ReportJob is one Kubernetes Job of the run.
type ReportJob struct {
	Phase         string `json:"phase"`
	Job           string `json:"job"` // the model job
	KubernetesJob string `json:"kubernetesJob"`
	// State is waiting (never created), running, succeeded, failed or
	// skipped; later versions may add states.
	State      string     `json:"state"`
	CreatedAt  *time.Time `json:"createdAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// WaitSeconds is run start -> created, RunSeconds created -> finished,
	// TotalSeconds run start -> finished (0 when unknown).
	WaitSeconds  float64 `json:"waitSeconds"`
	RunSeconds   float64 `json:"runSeconds"`
	TotalSeconds float64 `json:"totalSeconds"`
	Reason       string  `json:"reason,omitempty"`
	Message      string  `json:"message,omitempty"`
	// Attempt created the Job: less than the run's when a retry kept it
	// (succeeded, or still running when the retry began: keptRunning).
	Attempt     int  `json:"attempt"`
	KeptRunning bool `json:"keptRunning,omitempty"`
	// Pods: for a failed Job, why its pods failed (pod, container, exit
	// code, reason, termination message), oldest first, at most 3.
	Pods []record.PodFailure `json:"pods,omitempty"`
}

func newRunReport(res *controller.Result, model string) *RunReport {
	r := &RunReport{
		APIVersion: report.StatusAPIVersion, Kind: "RunReport",
		RunID: res.RunID, Namespace: res.Namespace, Model: model,
		Result:    record.ResultFailed,
		StartedAt: res.Started.UTC().Truncate(time.Millisecond), FinishedAt: res.Finished.UTC().Truncate(time.Millisecond),
		SummedJobSeconds:    seconds(res.SummedTime),
		CriticalPath:        append([]string{}, res.CriticalPath...),
		CriticalPathSeconds: seconds(res.CriticalTime),
		NeverRan:            append([]string{}, res.NeverRan...),
		Skipped:             append([]string{}, res.Skipped...),
		FailedReverts:       append([]string{}, res.FailedReverts...),
		Jobs:                make([]ReportJob, 0, len(res.Jobs)),
		Attempt:             max(res.Attempt, 1),
	}
	if res.Succeeded {
		r.Result = record.ResultSucceeded
	} else if res.Cancelled {
		r.Result = record.ResultCancelled
	}
	if wall := res.Finished.Sub(res.Started); wall > 0 {
		r.WallSeconds = seconds(wall)
		r.Parallelism = math.Round(float64(res.SummedTime)/float64(wall)*100) / 100
	}
	for _, j := range res.Jobs {
		r.Jobs = append(r.Jobs, reportJob(j))
	}
	if res.Failure != nil {
		f := reportJob(*res.Failure)
		r.Failure = &f
	}
	return r
}

func reportJob(j controller.JobReport) ReportJob {
	return ReportJob{
		Phase: j.Phase, Job: j.Job, KubernetesJob: j.Name, State: j.State,
		CreatedAt: timeOrNil(j.Created), FinishedAt: timeOrNil(j.Finished),
		WaitSeconds: seconds(j.Wait), RunSeconds: seconds(j.Run), TotalSeconds: seconds(j.Total),
		Reason: j.Reason, Message: j.Message, Attempt: max(j.Attempt, 1), KeptRunning: j.KeptRunning,
		Pods: j.Pods,
	}
}

// podLines is one line per failed pod and its log tail below it, each
// ending in a newline.
func podLines(pods []record.PodFailure) string {
	var b strings.Builder
	for _, p := range pods {
		b.WriteString(p.Text(""))
	}
	return b.String()
}

// seconds rounds to milliseconds.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// JUnit XML, as CI servers (Jenkins, GitLab, GitHub actions that publish
// test results) read it: one suite for the run, one test case per
// Kubernetes Job.
type junitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestSuite `xml:"testsuite"`
}

type junitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// newJUnit maps a run onto JUnit: classname = phase, name = job/Job name,
// time = the Job's run seconds; a failed Job is a <failure> with its reason
// and message, a Job that never ran (or ended in another state, such as
// skipped) is <skipped>.
func newJUnit(res *controller.Result, model string) *junitTestSuites {
	wall := fmt.Sprintf("%.3f", seconds(res.Finished.Sub(res.Started)))
	result := record.ResultFailed
	if res.Succeeded {
		result = record.ResultSucceeded
	} else if res.Cancelled {
		result = record.ResultCancelled
	}
	suite := junitTestSuite{
		Name: res.RunID, Time: wall, Timestamp: res.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{Name: "runID", Value: res.RunID},
			{Name: "namespace", Value: res.Namespace},
			{Name: "model", Value: model},
			{Name: "result", Value: result},
		},
	}
	for _, j := range res.Jobs {
		tc := junitTestCase{Classname: j.Phase, Name: j.Job + "/" + j.Name, Time: fmt.Sprintf("%.3f", seconds(j.Run))}
		switch j.State {
		case stateSucceeded:
		case stateFailed:
			suite.Failures++
			tc.Failure = &junitMessage{
				Message: j.Reason + ": " + j.Message, Type: j.Reason,
				Text: fmt.Sprintf("Job %s/%s of job %s (phase %s) failed: %s: %s\n%slogs: kubectl logs -n %s job/%s\n",
					res.Namespace, j.Name, j.Job, j.Phase, j.Reason, j.Message, podLines(j.Pods), res.Namespace, j.Name),
			}
		case stateWaiting:
			suite.Skipped++
			why := "never ran"
			if res.Failure != nil {
				why += fmt.Sprintf(": job %s failed first", res.Failure.Job)
			}
			tc.Skipped = &junitMessage{Message: why}
		default: // skipped, or a state this version does not know
			suite.Skipped++
			msg := j.State
			if j.Message != "" {
				msg += ": " + j.Message
			} else if j.Reason != "" {
				msg += ": " + j.Reason
			}
			tc.Skipped = &junitMessage{Message: msg}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	return &junitTestSuites{
		Name: "jobernetes " + res.RunID, Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: wall, Suites: []junitTestSuite{suite},
	}
}

func writeJUnitXML(w io.Writer, res *controller.Result, model string) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(newJUnit(res, model)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// writeJUnitFile writes the report next to path and renames it into place,
// so that a reader never sees half a file.
func writeJUnitFile(path string, res *controller.Result, model string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".junit-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := writeJUnitXML(f, res, model); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// checkJUnitPath fails early (before the run creates anything) when the
// report could not be written.
func checkJUnitPath(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--junit %s: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--junit %s: %s is not a folder", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--junit %s: is a folder", path)
	}
	return nil
}

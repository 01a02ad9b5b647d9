package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// JUnit XML, as CI servers (Jenkins, GitLab, GitHub actions that publish
// test results) read it: one suite for the run, one test case per
// Kubernetes Job.
type junitTestSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitCounts
	Suites []junitTestSuite `xml:"testsuite"`
}

// junitCounts are the attributes a suite and the suites share.
type junitCounts struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitTestSuite struct {
	junitCounts
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProperties struct {
	List []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Time      string `xml:"time,attr"`
	// Properties are the results the Job wrote: results.KEY = JSON.
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitMessage    `xml:"failure,omitempty"`
	Skipped    *junitMessage    `xml:"skipped,omitempty"`
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
func newJUnit(res *runmeta.Result, model string) *junitTestSuites {
	wall := fmt.Sprintf("%.3f", seconds(res.Finished.Sub(res.Started)))
	result := record.ResultFailed
	if res.Succeeded {
		result = record.ResultSucceeded
	} else if res.Cancelled {
		result = record.ResultCancelled
	}
	suite := junitTestSuite{
		junitCounts: junitCounts{Name: res.RunID, Time: wall}, Timestamp: res.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{Name: "runID", Value: res.RunID},
			{Name: "namespace", Value: res.Namespace},
			{Name: "model", Value: model},
			{Name: "result", Value: result},
		},
	}
	for _, j := range res.Jobs {
		tc := junitTestCase{Classname: j.Phase, Name: j.Job + "/" + j.Name, Time: fmt.Sprintf("%.3f", seconds(j.Run)),
			Properties: resultProperties(j.Results)}
		switch j.State {
		case StateSucceeded:
		case StateFailed:
			suite.Failures++
			tc.Failure = &junitMessage{
				Message: j.Reason + ": " + j.Message, Type: j.Reason,
				Text: fmt.Sprintf("Job %s/%s of job %s (phase %s) failed: %s: %s\n%slogs: kubectl logs -n %s job/%s\n",
					res.Namespace, j.Name, j.Job, j.Phase, j.Reason, j.Message, podLines(j.Pods), res.Namespace, j.Name),
			}
		case StateWaiting:
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
	counts := suite.junitCounts
	counts.Name = "jobernetes " + res.RunID
	return &junitTestSuites{junitCounts: counts, Suites: []junitTestSuite{suite}}
}

// WriteJUnitXML writes res as JUnit XML.
func WriteJUnitXML(w io.Writer, res *runmeta.Result, model string) error {
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

// WriteJUnitFile writes the report next to path and renames it into place,
// so that a reader never sees half a file.
func WriteJUnitFile(path string, res *runmeta.Result, model string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".junit-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := WriteJUnitXML(f, res, model); err != nil {
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

// CheckJUnitPath fails early (before the run creates anything) when the
// report could not be written.
func CheckJUnitPath(path string) error {
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

// resultProperties are a Job's results as JUnit properties, keys sorted.
func resultProperties(raw json.RawMessage) *junitProperties {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]junitProperty, 0, len(keys))
	for _, k := range keys {
		out = append(out, junitProperty{Name: "results." + k, Value: string(obj[k])})
	}
	return &junitProperties{List: out}
}

package controller

// Data between jobs (docs/dataflow.md): results read from the termination
// messages of a finished Job's containers, kept in the record; `when`
// evaluated and a dynamic matrix expanded when the job is about to start,
// only from results the record already holds, so that a resume decides the
// same and creates the same Jobs with the same values.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// dataflow is the run's results and what was decided from them.
type dataflow struct {
	any     bool                    // some job declares results or reads them
	results map[int]json.RawMessage // per unit index: the JSON object its Job wrote
	byJob   map[string]int          // model job name -> node index
	decided map[int]bool            // nodes whose when/matrix was settled
	recNow  bool                    // a job waits for a result to be recorded
	decoded map[int]map[string]any  // per node: its results decoded (cache)
	refs    [][]config.ResultRef    // per node: the results its job reads (config.Job.ResultRefs)
}

func (c *Controller) initDataflow() {
	c.flow = dataflow{results: map[int]json.RawMessage{}, byJob: map[string]int{}, decided: map[int]bool{},
		decoded: map[int]map[string]any{}, refs: make([][]config.ResultRef, len(c.nodes))}
	for i, n := range c.nodes {
		c.flow.byJob[n.job.Name] = i
		j := n.job
		c.flow.refs[i] = j.ResultRefs()
		if len(j.Results) > 0 || j.When != nil || len(j.Matrix) > 0 || len(c.flow.refs[i]) > 0 {
			c.flow.any = true
		}
	}
}

// maxTerminationMessage is what the kubelet keeps of a container's
// termination message; a longer one is cut, so a result that reaches it
// is refused rather than read truncated.
const maxTerminationMessage = 4096

// readResults reads the results a succeeded Job wrote: one JSON object per
// container's termination message, merged. A declared key missing or
// written twice, or a message that is not a JSON object, is the reason the
// job fails.
func readResults(declared []string, pods []*corev1.Pod) (json.RawMessage, string) {
	sort.Slice(pods, func(a, b int) bool { return pods[a].CreationTimestamp.Before(&pods[b].CreationTimestamp) })
	var pod *corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded {
			pod = p // the last one that succeeded
		}
	}
	if pod == nil {
		return nil, ""
	}
	merged := map[string]json.RawMessage{}
	from := map[string]string{}
	for _, cs := range runmeta.ContainerStatuses(pod) {
		t := cs.State.Terminated
		if t == nil || strings.TrimSpace(t.Message) == "" {
			continue
		}
		if len(t.Message) >= maxTerminationMessage {
			return nil, fmt.Sprintf("container %s of pod %s: its termination message reached the %d bytes Kubernetes keeps, so it was cut: write smaller results",
				cs.Name, pod.Name, maxTerminationMessage)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(t.Message), &obj); err != nil || obj == nil {
			return nil, fmt.Sprintf("container %s of pod %s: its termination message is not one JSON object (%s): %q",
				cs.Name, pod.Name, jsonProblem(err), clip(t.Message, 120))
		}
		for k, v := range obj {
			if prev, dup := from[k]; dup {
				return nil, fmt.Sprintf("result %q is written twice: by container %s and by container %s of pod %s", k, prev, cs.Name, pod.Name)
			}
			from[k] = cs.Name
			merged[k] = v
		}
	}
	for _, k := range declared {
		if _, ok := merged[k]; !ok {
			return nil, fmt.Sprintf("declared result %q is missing: no container of pod %s wrote it to its termination message (containers: %s)",
				k, pod.Name, strings.Join(containerNames(pod), ", "))
		}
	}
	out := map[string]json.RawMessage{}
	for _, k := range declared {
		out[k] = merged[k]
	}
	b, _ := json.Marshal(out)
	return b, ""
}

func jsonProblem(err error) string {
	if err == nil {
		return "null"
	}
	return err.Error()
}

func containerNames(pod *corev1.Pod) []string {
	var out []string
	for _, cs := range runmeta.ContainerStatuses(pod) {
		out = append(out, cs.Name)
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// observeResults settles a completed Job of a job that declares results:
// ok is false while its pod has not shown its termination messages yet.
func (c *Controller) observeResults(ctx context.Context, u *unit) (ok bool) {
	if _, done := c.flow.results[u.index]; done || len(u.job.Results) == 0 || u.revert {
		return true
	}
	var pods []*corev1.Pod
	if c.cache.pods != nil {
		pods = c.podsOf(u)
	} else if list, err := c.client.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + u.name}); err == nil {
		for i := range list.Items {
			pods = append(pods, &list.Items[i])
		}
	}
	res, problem := readResults(u.job.Results, pods)
	switch {
	case problem != "":
		c.setState(u, unitFailed)
		u.reason = "ResultsInvalid"
		u.message = problem
		return false
	case res == nil:
		return false // the pod's update has not arrived yet: it enqueues
	}
	c.flow.results[u.index] = res
	delete(c.flow.decoded, u.node)
	return true
}

// jobResults is what $(results.JOB.KEY) reads of a node: for a plain job
// its Job's values, for a matrix job the list of its Jobs' values in
// matrix order.
func (c *Controller) jobResults(n int) map[string]any {
	if d, ok := c.flow.decoded[n]; ok {
		return d
	}
	nd := c.nodes[n]
	out := map[string]any{}
	matrix := len(nd.job.Matrix) > 0
	if matrix {
		for _, k := range nd.job.Results {
			out[k] = []any{}
		}
	}
	for _, u := range nd.units { // each Job's object decoded once
		raw, ok := c.flow.results[u.index]
		if !ok {
			continue
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&obj) != nil {
			continue
		}
		for _, k := range nd.job.Results {
			if matrix {
				out[k] = append(out[k].([]any), obj[k])
			} else {
				out[k] = obj[k]
			}
		}
	}
	c.flow.decoded[n] = out
	return out
}

// resultOf resolves one reference.
func (c *Controller) resultOf(r config.ResultRef) (any, bool) {
	n, ok := c.flow.byJob[r.Job]
	if !ok {
		return nil, false
	}
	v, ok := c.jobResults(n)[r.Key]
	return v, ok
}

// producersRecorded: every job whose results n reads has its results in
// the record, so that what n's Jobs get survives a kill.
func (c *Controller) producersRecorded(n int) bool {
	for _, r := range c.flow.refs[n] {
		p, ok := c.flow.byJob[r.Job]
		if !ok {
			continue
		}
		for _, u := range c.nodes[p].units {
			if u.state == unitSucceeded && !u.inRecord.final {
				return false
			}
		}
	}
	return true
}

// settle decides, once, what a node that is about to start does: skip
// (when is false), fail (when or the matrix cannot be read), or start the
// Jobs of its matrix. ready is false while a producer's results are not
// yet in the record.
func (c *Controller) settle(n int) (ready bool) {
	nd := c.nodes[n]
	j := nd.job
	if c.flow.decided[n] || (j.When == nil && len(j.Matrix) == 0 && len(c.flow.refs[n]) == 0) {
		return true
	}
	if !c.producersRecorded(n) {
		c.flow.recNow = true
		return false
	}
	c.flow.decided[n] = true
	if j.When != nil {
		ok, err := j.When.Eval(c.whenParams(j), c.whenResults(j))
		switch {
		case err != nil:
			c.verdict(n, unitFailed, "WhenFailed", fmt.Sprintf("when: %s: %v", j.When.Expr, err))
			return true
		case !ok:
			c.verdict(n, unitSkipped, "Skipped", "when: "+j.When.Expr+" is false")
			return true
		}
	}
	if nd.unexpanded {
		c.expand(n)
	}
	return true
}

func (c *Controller) whenParams(j *config.Job) map[string]string {
	return config.MergeEnv(c.model.JobEnv(j), c.opts.Params)
}

func (c *Controller) whenResults(j *config.Job) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range j.When.Refs {
		if n, ok := c.flow.byJob[r.Job]; ok {
			out[r.Job] = c.jobResults(n)
		}
	}
	return out
}

// verdict ends a node before any of its Jobs is created. A node without
// units yet (a dynamic matrix) gets one, named as a file job's Job would
// be, that is never created: the record and status show the reason.
func (c *Controller) verdict(n int, s unitState, reason, msg string) {
	nd := c.nodes[n]
	if nd.unexpanded {
		nd.unexpanded = false
		mf := nd.job.Template
		c.addRuntimeUnits(n, []*config.Manifest{mf})
	}
	for _, u := range nd.units {
		if u.state != unitNotCreated {
			continue
		}
		c.setState(u, s)
		u.reason, u.message = reason, msg
	}
	c.markChanged(n)
}

// expand makes the Jobs of a dynamic matrix from the recorded results.
func (c *Controller) expand(n int) {
	nd := c.nodes[n]
	j := nd.job
	lists := make([][]any, len(j.Matrix))
	lengths := make([]int, len(j.Matrix))
	for i, a := range j.Matrix {
		if a.From == nil {
			lists[i] = a.Values
		} else {
			v, ok := c.resultOf(*a.From)
			list, isList := v.([]any)
			if !ok || !isList {
				c.verdict(n, unitFailed, "MatrixInvalid", fmt.Sprintf("matrix key %s: %s is %s, not a JSON list", a.Key, a.From, describeJSON(v, ok)))
				return
			}
			lists[i] = list
		}
		lengths[i] = len(lists[i])
	}
	limit := c.model.Options.MaxMatrix
	if limit <= 0 {
		limit = config.DefaultMaxMatrix
	}
	if total := config.CombinationCount(lengths, limit); total > limit {
		c.verdict(n, unitFailed, "MatrixTooLarge", fmt.Sprintf("the matrix has more than %d combinations (max_matrix %d; lengths %v): none of its Jobs is created", limit, limit, lengths))
		return
	}
	combos := config.Combinations(j.Matrix, lists)
	if len(combos) == 0 {
		// Recorded as one Job never created, so that status and a resume
		// say what happened.
		c.verdict(n, unitSucceeded, "NoJobs", "the matrix has no combinations (an empty list): the job succeeds with no Jobs")
		return
	}
	nd.unexpanded = false
	c.addRuntimeUnits(n, config.MatrixManifests(j.Template, combos))
	c.markChanged(n)
}

func describeJSON(v any, ok bool) string {
	if !ok {
		return "not known"
	}
	b, _ := json.Marshal(v)
	return "the JSON value " + clip(string(b), 80)
}

// addRuntimeUnits gives node n units made at run time (a dynamic matrix),
// and restores what the record knows of them: a resume finds them again by
// name.
func (c *Controller) addRuntimeUnits(n int, mfs []*config.Manifest) {
	nd := c.nodes[n]
	for _, mf := range mfs {
		u := c.addUnit(nd.job, mf, false)
		u.attempt = int32(c.attempt)
		if c.attempt < 1 {
			u.attempt = 1
		}
		u.name = runmeta.AttemptJobName(c.runID, u.job, u.manifest, int(u.attempt), false)
		if _, ok := c.jobTmpl.manifestHash[mf]; !ok {
			c.jobTmpl.manifestHash[mf] = runmeta.ManifestHash(mf)
		}
		c.byName[u.name] = u.index
		c.work.isLive = append(c.work.isLive, false)
		nd.units = append(nd.units, u)
		if rec := c.rec(); rec != nil {
			if jr, ok := rec.Jobs[u.name]; ok {
				c.restoreUnit(u, jr)
			}
		}
		c.touch(u)
	}
}

// markChanged tells the Frontier about n even when no unit of it changed
// (a matrix of no Jobs).
func (c *Controller) markChanged(n int) {
	w := &c.work
	if !w.isDirty[n] {
		w.isDirty[n] = true
		w.changed = append(w.changed, n)
	}
	c.queue.Add(c.runID)
}

// matrixEnv are JOBERNETES_MATRIX_<KEY> of a matrix Job.
func matrixEnv(cb *config.Combination) []corev1.EnvVar {
	if cb == nil {
		return nil
	}
	out := make([]corev1.EnvVar, len(cb.Keys))
	for i, k := range cb.Keys {
		out[i] = corev1.EnvVar{Name: "JOBERNETES_MATRIX_" + strings.ToUpper(k), Value: config.EnvValue(cb.Values[i])}
	}
	return out
}

// recordResults is what the record keeps of u's results.
func (c *Controller) recordResults(u *unit) json.RawMessage { return c.flow.results[u.index] }

// restoreResults reads u's results back from its record entry.
func (c *Controller) restoreResults(u *unit, jr *record.JobRecord) {
	if len(jr.Results) > 0 {
		c.flow.results[u.index] = jr.Results
		delete(c.flow.decoded, u.node)
	}
}

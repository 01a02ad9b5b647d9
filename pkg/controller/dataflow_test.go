package controller

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func podWith(phase corev1.PodPhase, msgs map[string]string) *corev1.Pod {
	p := &corev1.Pod{Status: corev1.PodStatus{Phase: phase}}
	p.Name = "p"
	for _, name := range []string{"a", "b"} {
		if m, ok := msgs[name]; ok {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: name,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Message: m}}})
		}
	}
	return p
}

func TestReadResults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared []string
		msgs     map[string]string
		want     string // the results, or the problem's start
	}{
		{"merged over containers", []string{"x", "y"}, map[string]string{"a": `{"x": 1}`, "b": `{"y": "s"}`}, `{"x":1,"y":"s"}`},
		{"undeclared keys dropped", []string{"x"}, map[string]string{"a": `{"x": [1], "z": 2}`}, `{"x":[1]}`},
		{"missing", []string{"x", "y"}, map[string]string{"a": `{"x": 1}`}, `declared result "y" is missing`},
		{"twice", []string{"x"}, map[string]string{"a": `{"x": 1}`, "b": `{"x": 2}`}, `result "x" is written twice: by container a and by container b`},
		{"not json", []string{"x"}, map[string]string{"a": `x=1`}, `container a of pod p: its termination message is not one JSON object`},
		{"cut", []string{"x"}, map[string]string{"a": `{"x": "` + strings.Repeat("v", 5000)}, `container a of pod p: its termination message reached the 4096 bytes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, problem := readResults(tc.declared, []*corev1.Pod{podWith(corev1.PodSucceeded, tc.msgs)})
			got := string(res)
			if problem != "" {
				got = problem
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if res, problem := readResults([]string{"x"}, []*corev1.Pod{podWith(corev1.PodRunning, nil)}); res != nil || problem != "" {
		t.Errorf("a pod not yet succeeded gave %s %q; want nothing yet", res, problem)
	}
}

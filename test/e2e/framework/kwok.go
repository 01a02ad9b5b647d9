package framework

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod-template annotations that script what a fake pod does; see stages/.
const (
	// AnnotationDuration is a Go duration ("0s", "2s", "1500ms"): time from the
	// pod running to the pod finishing. Absent or unparsable means 0s.
	AnnotationDuration = "test.jobernetes.io/duration"
	// AnnotationOutcome is "succeed" (the default) or "fail". Any other value succeeds.
	AnnotationOutcome = "test.jobernetes.io/outcome"
	// AnnotationExitCode is the container exit code of a failing pod (default 1).
	AnnotationExitCode = "test.jobernetes.io/exit-code"
	// AnnotationTerminationMessage is a failing container's termination message.
	AnnotationTerminationMessage = "test.jobernetes.io/termination-message"

	OutcomeSucceed = "succeed"
	OutcomeFail    = "fail"
)

// FakeNodeName is the one node kwok plays; every pod lands on it.
const FakeNodeName = "kwok-node-0"

//go:embed stages/*.yaml
var stageFiles embed.FS

// writeKwokConfig writes kwok's single --config file: the KwokConfiguration
// followed by every embedded Stage. The server address is a flag (kwokArgs):
// it changes when a port is retried.
func writeKwokConfig(path string) error {
	var b bytes.Buffer
	// kwok refuses to start unless every parallelism option is set.
	b.WriteString(`apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: true
  # The API server reaches kwok's kubelet server (pod logs) at the node's
  # InternalIP and daemon endpoint port (--node-port): both must be local.
  nodeIP: 127.0.0.1
  # /containerLogs/ answers 405 unless the debugging handlers are on.
  enableDebuggingHandlers: true
  cidr: 10.244.0.1/16
  nodeLeaseDurationSeconds: 40
  podPlayStageParallelism: 16
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 4
`)
	names, err := fs.Glob(stageFiles, "stages/*.yaml")
	if err != nil {
		return fmt.Errorf("list kwok stages: %w", err)
	}
	for _, name := range names {
		data, err := stageFiles.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read kwok stage %s: %w", name, err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write kwok config: %w", err)
	}
	return nil
}

// createFakeNode registers the node kwok plays, with room for any test load.
func (cp *ControlPlane) createFakeNode(ctx context.Context) error {
	_, err := cp.Client.CoreV1().Nodes().Create(ctx, fakeNode(FakeNodeName, "10k", "100Ti", "100k"), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create fake node: %w", err)
	}
	return nil
}

// fakeNode is a node named name that kwok plays, with room for cpu, memory
// and pods.
func fakeNode(name, cpu, memory, pods string) *corev1.Node {
	room := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(memory),
		corev1.ResourcePods:   resource.MustParse(pods),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			// kwok plays nodes that carry this annotation (and all nodes with manageAllNodes).
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels: map[string]string{
				"type":                   "kwok",
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
			},
		},
		Status: corev1.NodeStatus{Allocatable: room, Capacity: room},
	}
}

// waitNodeSchedulable waits until kwok reported the node Ready and the
// node-lifecycle controller removed its not-ready taint: before that the
// scheduler places no pod.
func (cp *ControlPlane) waitNodeSchedulable(ctx context.Context) error {
	return cp.waitSchedulable(ctx, FakeNodeName)
}

// waitSchedulable waits for node name as waitNodeSchedulable does.
func (cp *ControlPlane) waitSchedulable(ctx context.Context, name string) error {
	var last string
	err := poll(ctx, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		node, err := cp.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		ready := false
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			last = "node not Ready"
			return false, nil
		}
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				last = "node still tainted " + t.Key
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for node %s to be schedulable (%s): %w", name, last, err)
	}
	return nil
}

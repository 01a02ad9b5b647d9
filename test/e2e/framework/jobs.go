package framework

import (
	"context"
	"fmt"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// PodScript is what the fake pods of a Job do, as pod-template annotations.
type PodScript struct {
	// Duration from running to finishing.
	Duration time.Duration
	// Fail makes the pod fail with ExitCode (0 means 1) instead of succeeding.
	Fail     bool
	ExitCode int32
}

// Annotations returns the pod-template annotations that script s.
func (s PodScript) Annotations() map[string]string {
	a := map[string]string{AnnotationDuration: s.Duration.String(), AnnotationOutcome: OutcomeSucceed}
	if s.Fail {
		a[AnnotationOutcome] = OutcomeFail
		code := s.ExitCode
		if code == 0 {
			code = 1
		}
		a[AnnotationExitCode] = strconv.Itoa(int(code))
	}
	return a
}

// NewJob returns a one-pod Job in ns whose pod runs s. Callers adjust the
// rest (backoffLimit, parallelism, ...).
func NewJob(ns, name string, s PodScript) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.JobSpec{
			Template: PodTemplate(s),
		},
	}
}

// PodTemplate returns a pod template for a Job whose pods run s. The image is
// never pulled: kwok plays the pod.
func PodTemplate(s PodScript) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Annotations: s.Annotations()},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "registry.invalid/fake:latest"}},
		},
	}
}

// JobFinished returns Complete or Failed once the Job has that condition True.
func JobFinished(j *batchv1.Job) (batchv1.JobConditionType, bool) {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type, true
		}
	}
	return "", false
}

// JobCondition returns the Job's condition of type typ, or nil.
func JobCondition(j *batchv1.Job, typ batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == typ {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// WaitForJob watches Job ns/name until cond holds and returns it.
func (cp *ControlPlane) WaitForJob(ctx context.Context, ns, name string, cond func(*batchv1.Job) bool) (*batchv1.Job, error) {
	var found *batchv1.Job
	_, err := cp.watchJobs(ctx, ns, fields.OneTermEqualSelector("metadata.name", name).String(), func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			return false, fmt.Errorf("job %s/%s was deleted", ns, name)
		}
		j, ok := ev.Object.(*batchv1.Job)
		if !ok || !cond(j) {
			return false, nil
		}
		found = j
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("wait for job %s/%s: %w", ns, name, err)
	}
	return found, nil
}

// WaitForJobsFinished watches the Jobs of ns until n of them are finished
// and returns those, by name, with the time each was first seen finished.
func (cp *ControlPlane) WaitForJobsFinished(ctx context.Context, ns string, n int) (map[string]*batchv1.Job, map[string]time.Time, error) {
	done := map[string]*batchv1.Job{}
	seen := map[string]time.Time{}
	_, err := cp.watchJobs(ctx, ns, "", func(ev watch.Event) (bool, error) {
		j, ok := ev.Object.(*batchv1.Job)
		if !ok || ev.Type == watch.Deleted {
			return false, nil
		}
		if _, fin := JobFinished(j); fin {
			if _, dup := done[j.Name]; !dup {
				done[j.Name], seen[j.Name] = j, time.Now()
			}
		}
		return len(done) >= n, nil
	})
	if err != nil {
		return done, seen, fmt.Errorf("wait for %d finished jobs in %s (have %d): %w", n, ns, len(done), err)
	}
	return done, seen, nil
}

func (cp *ControlPlane) watchJobs(ctx context.Context, ns, fieldSelector string, cond watchtools.ConditionFunc) (*watch.Event, error) {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = fieldSelector
			return cp.Client.BatchV1().Jobs(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = fieldSelector
			return cp.Client.BatchV1().Jobs(ns).Watch(ctx, o)
		},
	}
	return watchtools.UntilWithSync(ctx, lw, &batchv1.Job{}, nil, cond)
}

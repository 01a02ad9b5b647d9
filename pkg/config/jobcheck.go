package config

import (
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// reservedPrefix is the label and annotation key prefix jobernetes sets on
// the Jobs it creates (jobernetes.io/run, /job, /phase). A manifest may not
// set such keys itself: a Job could then pass for one of another run.
// Only this exact prefix is reserved; subdomains such as
// test.jobernetes.io/ stay usable (the test bed's fake nodes read
// test.jobernetes.io/duration and friends from pod template annotations).
const reservedPrefix = "jobernetes.io/"

// checkJob checks what the API server would reject only when the Job is
// created, mid-run, and what a manifest may not choose: where and as whom
// it runs.
func checkJob(job *batchv1.Job, namespace string) []issue {
	var out []issue
	add := func(f *field.Path, msg string) { out = append(out, issue{f.String(), msg}) }
	addAll := func(errs field.ErrorList) {
		// Label and annotation checks walk maps: sort their findings so
		// that the same file gives the same report every time.
		found := make([]issue, len(errs))
		for i, e := range errs {
			found[i] = issue{e.Field, e.ErrorBody()}
		}
		slices.SortStableFunc(found, func(a, b issue) int {
			return strings.Compare(a.field+"\x00"+a.msg, b.field+"\x00"+b.msg)
		})
		out = append(out, found...)
	}

	meta := field.NewPath("metadata")
	if ns := job.Namespace; ns != "" {
		if msg := namespaceProblem(ns); msg != "" {
			add(meta.Child("namespace"), msg)
		} else if namespace != "" && ns != namespace {
			add(meta.Child("namespace"), strconv.Quote(ns)+" differs from the run's namespace "+strconv.Quote(namespace)+
				"; remove it: every Job of a run is created in the run's namespace")
		}
	}
	if len(job.OwnerReferences) > 0 {
		add(meta.Child("ownerReferences"), "must be empty: jobernetes owns the Jobs it creates")
	}
	addAll(metav1validation.ValidateLabels(job.Labels, meta.Child("labels")))
	addAll(apimachineryvalidation.ValidateAnnotations(job.Annotations, meta.Child("annotations")))
	out = append(out, reserved(job.Labels, meta.Child("labels"))...)
	out = append(out, reserved(job.Annotations, meta.Child("annotations"))...)

	tmpl := field.NewPath("spec", "template")
	addAll(metav1validation.ValidateLabels(job.Spec.Template.Labels, tmpl.Child("metadata", "labels")))
	addAll(apimachineryvalidation.ValidateAnnotations(job.Spec.Template.Annotations, tmpl.Child("metadata", "annotations")))
	out = append(out, reserved(job.Spec.Template.Labels, tmpl.Child("metadata", "labels"))...)

	spec := tmpl.Child("spec")
	pod := &job.Spec.Template.Spec
	if len(pod.Containers) == 0 {
		add(spec.Child("containers"), "Required value: a Job needs at least one container")
	}
	names := map[string]bool{}
	out = append(out, checkContainers(pod.InitContainers, spec.Child("initContainers"), names)...)
	out = append(out, checkContainers(pod.Containers, spec.Child("containers"), names)...)
	out = append(out, checkInjectedEnv(pod, spec)...)

	switch pod.RestartPolicy {
	case corev1.RestartPolicyNever, corev1.RestartPolicyOnFailure:
	case "":
		add(spec.Child("restartPolicy"), "Required value: the API server would default it to Always, which a Job rejects; use Never or OnFailure")
	default:
		add(spec.Child("restartPolicy"), "Unsupported value "+strconv.Quote(string(pod.RestartPolicy))+": a Job's pods must use Never or OnFailure")
	}
	return out
}

// checkContainers checks names (present, DNS labels, unique across init and
// regular containers) and images (present).
func checkContainers(cs []corev1.Container, path *field.Path, names map[string]bool) []issue {
	var out []issue
	for i, c := range cs {
		p := path.Index(i)
		switch {
		case c.Name == "":
			out = append(out, issue{p.Child("name").String(), "Required value: every container needs a name"})
		case len(validation.IsDNS1123Label(c.Name)) > 0:
			out = append(out, issue{p.Child("name").String(), "Invalid value " + strconv.Quote(c.Name) + ": " +
				strings.Join(validation.IsDNS1123Label(c.Name), "; ")})
		case names[c.Name]:
			out = append(out, issue{p.Child("name").String(), "Duplicate value " + strconv.Quote(c.Name) + ": container names must be unique"})
		default:
			names[c.Name] = true
		}
		if strings.TrimSpace(c.Image) == "" {
			out = append(out, issue{p.Child("image").String(), "Required value: every container needs an image"})
		}
	}
	return out
}

// reserved reports keys with the reserved prefix, in sorted order.
func reserved(m map[string]string, path *field.Path) []issue {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, reservedPrefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	out := make([]issue, len(keys))
	for i, k := range keys {
		out[i] = issue{path.Key(k).String(), "the " + reservedPrefix + " prefix is reserved: jobernetes sets these keys on the Jobs it creates"}
	}
	return out
}

// Package bundle turns a model folder into what a cluster needs to run it
// on its own: a ConfigMap holding the model and every manifest it names,
// least-privilege RBAC, and a CronJob (or a one-shot Job) whose Pod runs
// jobernetes against those files.
package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// Where the wrapper Pod finds the model. Under /var/run so that a test can
// place it, with the service account token, in a private tmpfs.
const (
	ModelMountPath = "/var/run/jobernetes/model"
	modelKey       = "jobermodel.yaml"
	maxConfigMap   = 1<<20 - 16<<10 // a ConfigMap holds at most 1 MiB
)

// Environment of the wrapper Pod, from the downward API: the Job controller
// labels each Pod with its Job's name and UID, and the Pod knows its
// namespace. The Job's name is the run ID: a retried Pod resumes the run.
const (
	EnvOwnerJobName = "JOBERNETES_OWNER_JOB_NAME"
	EnvOwnerJobUID  = "JOBERNETES_OWNER_JOB_UID"
	EnvNamespace    = "JOBERNETES_NAMESPACE"
)

// MaxNameLength bounds Options.Name: a CronJob's name may have at most 52
// characters (its Jobs' names append "-" and the scheduled minute).
const MaxNameLength = 52

// Exit codes of `jobernetes run` that retrying cannot change (docs/commands.md,
// "Commands"): the run failed, or the model is invalid. The wrapper Job fails
// at once on them instead of running its Pod again.
var permanentExitCodes = []int32{1, 2}

// Options choose names and schedule.
type Options struct {
	Name string // base name of the generated objects; a DNS label of at most MaxNameLength
	// Namespace of the objects; empty leaves it to `kubectl apply` (the
	// Pod runs the model in its own namespace either way).
	Namespace      string
	Image          string
	Schedule       string // empty: a one-shot Job instead of a CronJob
	ServiceAccount string // empty: Name
	TimeZone       string // the CronJob's time zone; empty: the controller's
	// Env are `run -e` parameters handed to every run of the bundle.
	Env map[string]string
}

// Generate returns the objects, in apply order: ServiceAccount, Role,
// RoleBinding, the model ConfigMap, then the CronJob or the Job.
func Generate(m *config.Model, o Options) ([]runtime.Object, error) {
	o, err := o.checked()
	if err != nil {
		return nil, err
	}
	cm, items, err := modelConfigMap(m, o)
	if err != nil {
		return nil, err
	}
	objs := []runtime.Object{serviceAccount(o), Role(o.Name, o.Namespace), roleBinding(o), cm}
	for _, obj := range objs {
		obj.(metav1.Object).SetLabels(Labels(o.Name))
	}
	jobSpec := wrapperJobSpec(o, podSpec(o, items))
	if o.Schedule == "" {
		return append(objs, &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: Labels(o.Name)},
			Spec:       jobSpec,
		}), nil
	}
	return append(objs, cronJob(o, jobSpec)), nil
}

// checked are the options with the service account's default filled in,
// or why they cannot make a bundle.
func (o Options) checked() (Options, error) {
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 || len(o.Name) > MaxNameLength {
		return o, fmt.Errorf("invalid name %q: must be a DNS label (lower case letters, digits, '-') of at most %d characters", o.Name, MaxNameLength)
	}
	if o.Image == "" {
		return o, fmt.Errorf("no image: name the jobernetes image to run")
	}
	if o.TimeZone != "" && o.Schedule == "" {
		return o, fmt.Errorf("a time zone needs a schedule: only a CronJob has one")
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = o.Name
	} else if errs := validation.IsDNS1123Subdomain(o.ServiceAccount); len(errs) > 0 {
		return o, fmt.Errorf("invalid service account name %q: %s", o.ServiceAccount, strings.Join(errs, "; "))
	}
	return o, nil
}

// wrapperJobSpec is the spec of the Job that runs jobernetes. A retried
// wrapper Pod keeps its Job's name, so it resumes the same run. Exit codes
// 1 (run failed) and 2 (invalid model) are final; others (cluster errors,
// an evicted Pod) are worth a retry.
func wrapperJobSpec(o Options, spec corev1.PodSpec) batchv1.JobSpec {
	return batchv1.JobSpec{
		BackoffLimit: ptr(int32(3)),
		PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
			Action: batchv1.PodFailurePolicyActionFailJob,
			OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
				ContainerName: ptr(containerName), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: permanentExitCodes,
			},
		}, {
			Action:          batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
		}}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: Labels(o.Name)}, Spec: spec},
	}
}

// cronJob runs the wrapper Job on o's schedule, one at a time.
func cronJob(o Options, jobSpec batchv1.JobSpec) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: Labels(o.Name)},
		Spec: batchv1.CronJobSpec{
			Schedule:                   o.Schedule,
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr(int32(3)),
			FailedJobsHistoryLimit:     ptr(int32(3)),
			JobTemplate:                batchv1.JobTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: Labels(o.Name)}, Spec: jobSpec},
		},
	}
	if o.TimeZone != "" {
		cj.Spec.TimeZone = &o.TimeZone
	}
	return cj
}

// Labels are the labels of every generated object and of the wrapper Jobs
// and Pods: `kubectl delete ... -l app.kubernetes.io/instance=NAME` removes
// a bundle.
func Labels(name string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "jobernetes", "app.kubernetes.io/instance": name}
}

// modelConfigMap holds the model file and every manifest, keyed by index;
// the volume's items put each back at its path relative to the model, so
// job_path needs no rewriting.
func modelConfigMap(m *config.Model, o Options) (*corev1.ConfigMap, []corev1.KeyToPath, error) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: ModelConfigMapName(o.Name), Namespace: o.Namespace},
		Data:       map[string]string{},
	}
	raw, err := os.ReadFile(m.Path)
	if err != nil {
		return nil, nil, err
	}
	cm.Data[modelKey] = string(raw)
	items := []corev1.KeyToPath{{Key: modelKey, Path: modelKey}}
	size := len(raw)
	seen := map[string]bool{}
	for _, j := range m.Jobs() {
		for _, mf := range j.Manifests {
			rel := path.Clean(mf.RelPath)
			if seen[rel] {
				continue
			}
			seen[rel] = true
			if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) || rel == modelKey {
				return nil, nil, fmt.Errorf("%s: phase %q: job %q: %s is outside the model's folder; a bundle can only carry files under %s (move it there)",
					m.Path, j.Phase, j.Name, mf.Path, m.Dir)
			}
			data, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(mf.RelPath)))
			if err != nil {
				return nil, nil, err
			}
			key := fmt.Sprintf("manifest-%04d%s", len(items)-1, path.Ext(rel))
			cm.Data[key] = string(data)
			items = append(items, corev1.KeyToPath{Key: key, Path: rel})
			size += len(data)
		}
	}
	if size > maxConfigMap {
		return nil, nil, fmt.Errorf("the model and its manifests are %d bytes: more than a ConfigMap holds (1 MiB)", size)
	}
	return cm, items, nil
}

// ModelConfigMapName is the ConfigMap holding the model of bundle name.
func ModelConfigMapName(name string) string { return name + "-model" }

const containerName = "jobernetes"

func podSpec(o Options, items []corev1.KeyToPath) corev1.PodSpec {
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	label := func(key string) *corev1.EnvVarSource { return field("metadata.labels['" + key + "']") }
	return corev1.PodSpec{
		ServiceAccountName: o.ServiceAccount,
		RestartPolicy:      corev1.RestartPolicyNever,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr(true),
			RunAsUser:      ptr(int64(65532)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:  containerName,
			Image: o.Image,
			Args: append([]string{"run", "-f", ModelMountPath + "/" + modelKey, "-n", "$(" + EnvNamespace + ")",
				"--run-id", "$(" + EnvOwnerJobName + ")"}, envArgs(o.Env)...),
			Env: []corev1.EnvVar{
				{Name: EnvNamespace, ValueFrom: field("metadata.namespace")},
				{Name: EnvOwnerJobName, ValueFrom: label(batchv1.JobNameLabel)},
				{Name: EnvOwnerJobUID, ValueFrom: label(batchv1.ControllerUidLabel)},
			},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("50m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			}},
			VolumeMounts: []corev1.VolumeMount{{Name: "model", MountPath: ModelMountPath, ReadOnly: true}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				ReadOnlyRootFilesystem:   ptr(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
		Volumes: []corev1.Volume{{Name: "model", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: ModelConfigMapName(o.Name)}, Items: items,
		}}}},
	}
}

func serviceAccount(o Options) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: o.ServiceAccount, Namespace: o.Namespace},
	}
}

// Rules are the least privilege `jobernetes run` needs in its namespace:
// its Jobs (create, the informer's list and watch, get after AlreadyExists,
// delete for cleanup, patch to remove the run's finalizer once the record
// knows a Job: runmeta.FinalizerUnrecorded), its record ConfigMap (get, create, update: it never
// lists ConfigMaps), core Events about them (client-go's recorder creates
// and patches), its Lease, and reading its pods (list and watch: why a Job
// failed or cannot start) and their logs (a failed container's last
// lines). Nothing on Secrets, no pod writes or exec, no cluster scope.
// manifests/role.yaml is generated from them.
var Rules = []rbacv1.PolicyRule{
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete", "patch"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	// The run's pods, read only: the diagnosis of failed and waiting Jobs.
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}},
	// Their logs, read only: the last lines of a failed container (run --log-lines).
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	// The run's Lease: one orchestrator per run (deleted when the run ends).
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}},
}

// Role is the namespaced Role granting Rules.
func Role(name, namespace string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Rules:      Rules,
	}
}

// roleBinding binds the Role to the ServiceAccount. A subject without a
// namespace means the binding's own (valid in a RoleBinding): the bundle then
// works in whatever namespace it is applied to.
func roleBinding(o Options) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: o.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: o.ServiceAccount, Namespace: o.Namespace}},
	}
}

// WriteYAML writes objs as a multi-document YAML stream for `kubectl apply
// -f -`, without the noise of empty status and null creationTimestamps.
func WriteYAML(w io.Writer, objs []runtime.Object) error {
	for _, obj := range objs {
		data, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		delete(m, "status")
		dropNulls(m)
		out, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", out); err != nil {
			return err
		}
	}
	return nil
}

// dropNulls removes null values (a zero metav1.Time marshals as null) from
// nested maps and lists.
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// envArgs are `-e KEY=VALUE` arguments in key order. Kubernetes expands
// $(VAR) in a container's args, so every $ of a value is doubled: the
// wrapper's jobernetes gets the value as written.
func envArgs(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, "-e", k+"="+strings.ReplaceAll(env[k], "$", "$$"))
	}
	return out
}

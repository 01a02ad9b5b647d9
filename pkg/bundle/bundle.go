// Package bundle turns a model folder into what a cluster needs to run it
// on its own: a ConfigMap holding the model and every manifest it names,
// least-privilege RBAC, and a CronJob (or a one-shot Job) whose Pod runs
// jobernetes against those files.
package bundle

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

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
// labels each Pod with its Job's name and UID.
const (
	EnvOwnerJobName = "JOBERNETES_OWNER_JOB_NAME"
	EnvOwnerJobUID  = "JOBERNETES_OWNER_JOB_UID"
)

// Options choose names and schedule.
type Options struct {
	Name           string // base name of the generated objects
	Namespace      string
	Image          string
	Schedule       string // empty: a one-shot Job instead of a CronJob
	ServiceAccount string // empty: Name
	TimeZone       string
}

// Generate returns the objects, in apply order.
func Generate(m *config.Model, o Options) ([]runtime.Object, error) {
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 || len(o.Name) > 52-len("-model") {
		return nil, fmt.Errorf("invalid --name %q: must be a DNS label of at most 46 characters", o.Name)
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = o.Name
	}
	cm, items, err := modelConfigMap(m, o)
	if err != nil {
		return nil, err
	}
	objs := []runtime.Object{serviceAccount(o), Role(o.Name, o.Namespace), roleBinding(o), cm}
	spec := podSpec(o, items)
	labels := map[string]string{"app.kubernetes.io/name": "jobernetes", "app.kubernetes.io/instance": o.Name}
	// A retried wrapper Pod keeps its Job's name, so it resumes the same run.
	jobSpec := batchv1.JobSpec{
		BackoffLimit: ptr(int32(3)),
		Template:     corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
	}
	if o.Schedule == "" {
		objs = append(objs, &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels},
			Spec:       jobSpec,
		})
		return objs, nil
	}
	cj := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels},
		Spec: batchv1.CronJobSpec{
			Schedule:                   o.Schedule,
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr(int32(3)),
			FailedJobsHistoryLimit:     ptr(int32(3)),
			JobTemplate:                batchv1.JobTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: jobSpec},
		},
	}
	if o.TimeZone != "" {
		cj.Spec.TimeZone = &o.TimeZone
	}
	return append(objs, cj), nil
}

// modelConfigMap holds the model file and every manifest, keyed by index;
// the volume's items put each back at its path relative to the model, so
// job_path needs no rewriting.
func modelConfigMap(m *config.Model, o Options) (*corev1.ConfigMap, []corev1.KeyToPath, error) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name + "-model", Namespace: o.Namespace},
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

func podSpec(o Options, items []corev1.KeyToPath) corev1.PodSpec {
	label := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['" + key + "']"}}
	}
	return corev1.PodSpec{
		ServiceAccountName: o.ServiceAccount,
		RestartPolicy:      corev1.RestartPolicyNever,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr(true),
			RunAsUser:      ptr(int64(65532)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:  "jobernetes",
			Image: o.Image,
			Args: []string{"run", "-f", ModelMountPath + "/" + modelKey, "-n", o.Namespace,
				"--run-id", "$(" + EnvOwnerJobName + ")"},
			Env: []corev1.EnvVar{
				{Name: EnvOwnerJobName, ValueFrom: label(batchv1.JobNameLabel)},
				{Name: EnvOwnerJobUID, ValueFrom: label(batchv1.ControllerUidLabel)},
			},
			VolumeMounts: []corev1.VolumeMount{{Name: "model", MountPath: ModelMountPath, ReadOnly: true}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				ReadOnlyRootFilesystem:   ptr(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
		Volumes: []corev1.Volume{{Name: "model", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: o.Name + "-model"}, Items: items,
		}}}},
	}
}

func serviceAccount(o Options) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: o.ServiceAccount, Namespace: o.Namespace},
	}
}

// Rules are the least privilege a run needs in its namespace: its Jobs, its
// record, and Events about them. Nothing on Secrets or Pods, no cluster scope.
var Rules = []rbacv1.PolicyRule{
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update"}},
	{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
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

func roleBinding(o Options) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: o.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: o.ServiceAccount, Namespace: o.Namespace}},
	}
}

func ptr[T any](v T) *T { return &v }

package bundle

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// writeModel writes files (path -> content) under a temp dir and loads its
// jobermodel.yaml.
func writeModel(t *testing.T, files map[string]string) *config.Model {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := config.Load(filepath.Join(dir, "jobermodel.yaml"), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const jobManifest = `apiVersion: batch/v1
kind: Job
metadata: {name: x}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
`

func twoPhaseModel(t *testing.T) *config.Model {
	return writeModel(t, map[string]string{
		"jobermodel.yaml": `jobernetes:
  - phase_name: one
    jobs:
      - {name: a, job_path: jobs/a.yaml}
      - {name: again, job_path: jobs/a.yaml}
  - phase_name: two
    jobs:
      - {name: all, type: directory, job_path: dir}
`,
		"jobs/a.yaml":     jobManifest,
		"dir/x.yaml":      jobManifest,
		"dir/sub/y.json":  `{"apiVersion":"batch/v1","kind":"Job","spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"m","image":"busybox"}]}}}}`,
		"dir/ignored.txt": "not a manifest",
	})
}

func TestGenerateCronJob(t *testing.T) {
	m := twoPhaseModel(t)
	objs, err := Generate(m, Options{Name: "nightly", Namespace: "batch", Image: "jobernetes:v1", Schedule: "0 2 * * *", TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
	}
	if got, want := strings.Join(kinds, ","), "ServiceAccount,Role,RoleBinding,ConfigMap,CronJob"; got != want {
		t.Fatalf("kinds %s, want %s (apply order)", got, want)
	}
	cm := objs[3].(*corev1.ConfigMap)
	cj := objs[4].(*batchv1.CronJob)
	if cj.Name != "nightly" || cj.Namespace != "batch" || cj.Spec.Schedule != "0 2 * * *" ||
		cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || cj.Spec.TimeZone == nil || *cj.Spec.TimeZone != "Europe/Berlin" {
		t.Errorf("CronJob %s/%s spec %+v", cj.Namespace, cj.Name, cj.Spec)
	}
	rb := objs[2].(*rbacv1.RoleBinding)
	if rb.RoleRef.Name != "nightly" || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "nightly" || rb.Subjects[0].Namespace != "batch" {
		t.Errorf("RoleBinding %+v", rb)
	}
	if role := objs[1].(*rbacv1.Role); !reflect.DeepEqual(role.Rules, Rules) {
		t.Errorf("Role rules %+v, want Rules", role.Rules)
	}

	// The volume's items put every file back at its path relative to the
	// model, so the model's job_paths work unchanged under the mount.
	spec := cj.Spec.JobTemplate.Spec.Template.Spec
	vol := spec.Volumes[0].ConfigMap
	if vol.Name != cm.Name || cm.Name != "nightly-model" {
		t.Errorf("volume reads ConfigMap %q, bundle has %q", vol.Name, cm.Name)
	}
	files := map[string]string{}
	for _, it := range vol.Items {
		data, ok := cm.Data[it.Key]
		if !ok {
			t.Errorf("item %s names no key of the ConfigMap", it.Key)
		}
		files[it.Path] = data
	}
	if len(files) != len(cm.Data) || len(files) != 4 {
		t.Errorf("items %v for %d keys; want model + 3 distinct manifests", vol.Items, len(cm.Data))
	}
	for _, rel := range []string{"jobermodel.yaml", "jobs/a.yaml", "dir/x.yaml", "dir/sub/y.json"} {
		want, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if files[rel] != string(want) {
			t.Errorf("%s in the ConfigMap differs from the file", rel)
		}
	}

	c := spec.Containers[0]
	wantArgs := []string{"run", "-f", "/var/run/jobernetes/model/jobermodel.yaml", "-n", "$(JOBERNETES_NAMESPACE)", "--run-id", "$(JOBERNETES_OWNER_JOB_NAME)"}
	if !reflect.DeepEqual(c.Args, wantArgs) || c.Image != "jobernetes:v1" || len(c.Command) != 0 {
		t.Errorf("container image %s command %q args %q, want args %q", c.Image, c.Command, c.Args, wantArgs)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom.FieldRef.FieldPath
	}
	wantEnv := map[string]string{
		EnvNamespace:    "metadata.namespace",
		EnvOwnerJobName: "metadata.labels['batch.kubernetes.io/job-name']",
		EnvOwnerJobUID:  "metadata.labels['batch.kubernetes.io/controller-uid']",
	}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("env %v, want %v", env, wantEnv)
	}
	if spec.ServiceAccountName != "nightly" || spec.RestartPolicy != corev1.RestartPolicyNever ||
		c.VolumeMounts[0].MountPath != ModelMountPath || !c.VolumeMounts[0].ReadOnly {
		t.Errorf("pod spec %+v", spec)
	}
	if sc := c.SecurityContext; sc == nil || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container security context %+v", sc)
	}
	pfp := cj.Spec.JobTemplate.Spec.PodFailurePolicy
	if pfp == nil || pfp.Rules[0].Action != batchv1.PodFailurePolicyActionFailJob ||
		!reflect.DeepEqual(pfp.Rules[0].OnExitCodes.Values, []int32{1, 2}) {
		t.Errorf("pod failure policy %+v: exit codes 1 and 2 must fail the wrapper Job at once", pfp)
	}
}

func TestGenerateOneShotWithoutNamespace(t *testing.T) {
	objs, err := Generate(twoPhaseModel(t), Options{Name: "once", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	job, ok := objs[len(objs)-1].(*batchv1.Job)
	if !ok {
		t.Fatalf("last object %T, want a one-shot *batchv1.Job", objs[len(objs)-1])
	}
	if job.Name != "once" || job.Spec.Template.Spec.ServiceAccountName != "once" {
		t.Errorf("Job %s, service account %s", job.Name, job.Spec.Template.Spec.ServiceAccountName)
	}
	for _, o := range objs {
		if ns := o.(interface{ GetNamespace() string }).GetNamespace(); ns != "" {
			t.Errorf("%T has namespace %q; without one, kubectl apply chooses", o, ns)
		}
	}
	// A RoleBinding subject without namespace means the binding's own.
	if s := objs[2].(*rbacv1.RoleBinding).Subjects[0]; s.Namespace != "" {
		t.Errorf("subject namespace %q", s.Namespace)
	}
}

func TestGenerateErrors(t *testing.T) {
	m := twoPhaseModel(t)
	outside := writeModel(t, map[string]string{
		"m/jobermodel.yaml": "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: ../a.yaml}\n",
		"a.yaml":            jobManifest,
		"jobermodel.yaml":   "jobernetes:\n  - phase_name: p\n    jobs:\n      - {name: a, job_path: a.yaml}\n",
	})
	outsideModel, err := config.Load(filepath.Join(outside.Dir, "m", "jobermodel.yaml"), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		model *config.Model
		opts  Options
		want  string
	}{
		{"name not a DNS label", m, Options{Name: "Nightly_ETL", Image: "i"}, `invalid name "Nightly_ETL"`},
		{"name too long for a CronJob", m, Options{Name: strings.Repeat("a", 53), Image: "i", Schedule: "@daily"}, "at most 52"},
		{"no image", m, Options{Name: "a"}, "no image"},
		{"time zone without schedule", m, Options{Name: "a", Image: "i", TimeZone: "UTC"}, "time zone needs a schedule"},
		{"bad service account", m, Options{Name: "a", Image: "i", ServiceAccount: "Bad SA"}, "invalid service account"},
		{"manifest outside the model folder", outsideModel, Options{Name: "a", Image: "i"}, "is outside the model's folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.model, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := Generate(m, Options{Name: strings.Repeat("a", 52), Image: "i", Schedule: "@daily"}); err != nil {
		t.Errorf("52 characters must do: %v", err)
	}
}

func TestWriteYAMLRoundTrip(t *testing.T) {
	objs, err := Generate(twoPhaseModel(t), Options{Name: "rt", Namespace: "ns", Image: "img", Schedule: "*/5 * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, objs); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, noise := range []string{"\nstatus:", "creationTimestamp", "null"} {
		if strings.Contains(out, noise) {
			t.Errorf("output contains %q:\n%s", noise, out)
		}
	}
	got := decodeAll(t, buf.Bytes())
	if len(got) != len(objs) {
		t.Fatalf("%d documents, want %d", len(got), len(objs))
	}
	for i := range objs {
		want := objs[i].DeepCopyObject()
		if !apiequality.Semantic.DeepEqual(got[i], want) {
			t.Errorf("document %d does not decode to the generated %T:\n got %+v\nwant %+v", i, want, got[i], want)
		}
	}
}

// decodeAll strictly decodes a multi-document YAML stream into typed objects.
func decodeAll(t *testing.T, data []byte) []runtime.Object {
	t.Helper()
	codecs := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)
	dec := codecs.UniversalDeserializer()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []runtime.Object
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		out = append(out, obj)
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

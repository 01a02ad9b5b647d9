package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/bundle"
	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/version"
)

// bundleOptions are the flags of `cronjob` and `bundle`, which print what a
// cluster needs to run a model on its own.
type bundleOptions struct {
	streams        genericiooptions.IOStreams
	filename       string
	name           string
	namespace      string
	image          string
	schedule       string
	timeZone       string
	serviceAccount string
	env            []string
	// requireSchedule: cronjob prints a CronJob, so an empty --schedule is
	// an error rather than a silent one-shot Job.
	requireSchedule bool
	cmdName         string // the name the command was invoked by, for hints
}

// bundleLongTail is the part of the help that cronjob and bundle share.
const bundleLongTail = `

The run ID is the name of the wrapper Job, taken from the downward API: a
retried wrapper Pod resumes its run instead of starting a second one, and
deleting the wrapper Job deletes the run's Jobs and their Pods.

Manifests must lie under the model file's folder. The namespace is -n, else the
model's kubernetes_namespace, else none: 'kubectl apply -n NS' decides, and
the Pod runs the model in its own namespace.

Exit codes: 0 printed, 2 invalid model or usage.`

func newCronJobCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &bundleOptions{streams: streams, requireSchedule: true}
	cmd := &cobra.Command{
		Use:   "cronjob --schedule CRON [-f FILE] [--name NAME] [-n NS] [--image IMAGE] [--time-zone TZ]",
		Short: "Print the manifests that run the model on a schedule in the cluster (a CronJob)",
		Long: `Cronjob prints, as multi-document YAML for 'kubectl apply -f -', what the
cluster needs to run the model on a schedule: a ServiceAccount; a Role and
RoleBinding granting only what a run needs in its namespace (its Jobs, its run
record ConfigMap, its Lease, Events); a ConfigMap holding the model and every
manifest it names; and a CronJob (concurrencyPolicy Forbid) whose Pod runs
'jobernetes run' as that ServiceAccount.` + bundleLongTail,
		Example: `  jobernetes cronjob --schedule "0 2 * * *" -f jobermodel.yaml | kubectl apply -f -
  kubectl create job --from=cronjob/NAME NAME-now    # run it once now`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { o.cmdName = commandName(cmd); return o.run() },
	}
	o.addFlags(cmd)
	_ = cmd.MarkFlagRequired("schedule")
	return cmd
}

func newBundleCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &bundleOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "bundle [-f FILE] [--name NAME] [-n NS] [--image IMAGE] [--schedule CRON]",
		Short: "Print the manifests that run the model once in the cluster (a Job)",
		Long: `Bundle prints what 'jobernetes cronjob' prints, with a one-shot Job instead of
the CronJob: applying it runs the model once (with --schedule: the CronJob).
A Job runs once: to run the model again, delete the Job (its run goes with it)
and apply the bundle again.` + bundleLongTail,
		Example: `  jobernetes bundle -f jobermodel.yaml -n batch | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { o.cmdName = commandName(cmd); return o.run() },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *bundleOptions) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&o.filename, "filename", "f", defaultModel, "model file")
	fs.StringVar(&o.name, "name", "", "name of the generated objects (default: the model's jobname, else its folder's name)")
	fs.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the objects and of the run (default: the model's kubernetes_namespace, else kubectl's)")
	fs.StringVar(&o.image, "image", defaultImage(), "jobernetes container image (built by 'make image')")
	fs.StringVar(&o.schedule, "schedule", "", `cron schedule of the CronJob: five fields, e.g. "0 2 * * *", or @yearly, @monthly, @weekly, @daily, @hourly`)
	fs.StringVar(&o.timeZone, "time-zone", "", `time zone of the schedule from the tz database, e.g. "Europe/Berlin" (default: the controller's, usually UTC)`)
	fs.StringVar(&o.serviceAccount, "service-account", "", "ServiceAccount the run acts as (default: the name)")
	addEnvFlag(fs, &o.env)
}

func (o *bundleOptions) run() error {
	if o.timeZone != "" && o.schedule == "" {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--time-zone needs --schedule")}
	}
	if o.requireSchedule && strings.TrimSpace(o.schedule) == "" {
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--schedule must not be empty: a CronJob needs a schedule such as \"0 2 * * *\" or @hourly ('%s bundle' runs the model once)", o.cmdName)}
	}
	if o.schedule != "" {
		if err := checkSchedule(o.schedule, o.timeZone); err != nil {
			return &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	env, err := parseEnv(o.env)
	if err != nil {
		return err
	}
	m, err := config.Load(o.filename, config.LoadOptions{Namespace: o.namespace})
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	ns := o.namespace
	if ns == "" {
		ns = m.Options.Namespace
	}
	name := o.name
	if name == "" {
		name = defaultBundleName(m)
	}
	objs, err := bundle.Generate(m, bundle.Options{
		Name: name, Namespace: ns, Image: o.image, Schedule: o.schedule,
		ServiceAccount: o.serviceAccount, TimeZone: o.timeZone, Env: env,
	})
	if err != nil {
		return &ExitError{Code: ExitInvalid, Err: err}
	}
	where := "the namespace of 'kubectl apply'"
	if ns != "" {
		where = "namespace " + ns
	}
	fmt.Fprintf(o.streams.Out, "# Generated by jobernetes %s from %s, for %s.\n# Apply: kubectl apply -f -\n",
		version.Get().Version, m.Path, where)
	printEnvWarnings(o.streams.ErrOut, m, env)
	if err := bundle.WriteYAML(o.streams.Out, objs); err != nil {
		return &ExitError{Code: ExitRunFailed, Err: err}
	}
	return nil
}

// defaultBundleName: the model's jobname, else its folder's name, made a
// DNS label short enough for a CronJob; "jobernetes" if nothing is left.
func defaultBundleName(m *config.Model) string {
	base := m.Options.JobName
	if base == "" {
		if abs, err := filepath.Abs(m.Dir); err == nil {
			base = filepath.Base(abs)
		}
	}
	name := config.SanitizeDNS(base)
	if len(name) > bundle.MaxNameLength {
		name = strings.TrimRight(name[:bundle.MaxNameLength], "-")
	}
	if name == "" {
		return "jobernetes"
	}
	return name
}

// defaultImage is the image `make image` builds for this version.
func defaultImage() string {
	tag := version.Get().Version
	valid := tag != "" && len(tag) <= 128
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			valid = false
		}
	}
	if !valid || tag[0] == '.' || tag[0] == '-' {
		tag = "latest"
	}
	return "jobernetes:" + tag
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/jobernetes/jobernetes/pkg/bundle"
	"github.com/jobernetes/jobernetes/pkg/config"
	"github.com/jobernetes/jobernetes/pkg/controller"
	"github.com/jobernetes/jobernetes/pkg/record"
	"github.com/jobernetes/jobernetes/pkg/runmeta"
)

// ExitInterrupted is the exit code when SIGINT/SIGTERM stopped the orchestrator; the run is left
// as it is and can be resumed with its run ID (128 + SIGINT, as shells do).
const ExitInterrupted = 130

// apiOptions are run's flags about its requests to the API server.
type apiOptions struct {
	qps           float32
	burst         int
	contentType   string
	creates       int           // Job creates (and cleanup deletes) in flight at once
	leaseDuration time.Duration // the run's Lease
}

type runOptions struct {
	kubeFlags
	streams      genericiooptions.IOStreams
	filename     string
	runID        string
	api          apiOptions
	output       outputOptions
	retryFailed  bool
	logLines     int
	jobEvents    bool
	env          []string
	dryRun       string
	segmentBytes int    // hidden --record-segment-bytes: tests only
	name         string // the name the command was invoked by, for hints
}

func newRunCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &runOptions{
		kubeFlags: newKubeFlags(),
		streams:   streams,
		name:      defaultName,
	}
	cmd := &cobra.Command{
		Use:   "run [-f FILE] [--run-id ID] [-e KEY=VALUE]... [--dry-run=client|server]",
		Short: "Run the model's DAG of Jobs in the cluster and wait for it to finish",
		Long: `Run creates the model's Jobs phase by phase, each as soon as the Jobs it
depends on have succeeded, and waits until every Job succeeded (exit 0) or the
run failed (exit 1). The run ID is printed first; starting run again with
--run-id ID resumes that run: succeeded Jobs are not run again.

Output: on a terminal, a table of the jobs redrawn in place (phase, job,
state, elapsed); plain progress lines when stdout is not a terminal, with
--no-color, or when NO_COLOR is set (or TERM=dumb). The summary follows.
-o json prints only a report.RunReport object (apiVersion jobernetes.io/v1alpha1) on
stdout when the run ends (exit 0 or 1), everything else on stderr; so do -o yaml
and -o jsonpath=TEMPLATE (kubectl's), while -o name prints the run's record
(configmap/jobernetes-run-<ID>) for kubectl; --junit FILE
writes a JUnit XML report (one test case per Kubernetes Job); --metrics-addr
serves Prometheus metrics of the run while it goes.

Parameters: -e KEY=VALUE (repeatable) and the model's env (jobernetes_config
and each job) are injected into every container and init container of every
Job, after JOBERNETES_RUN_ID, JOBERNETES_PHASE, JOBERNETES_JOB and
JOBERNETES_ATTEMPT; Kubernetes' $(VAR) expansion puts them into command and
args. -e wins over the model, a manifest's own variable wins over both. They
are kept in the run record: a resume must pass the same values (else exit 2).
They are not for secrets: use valueFrom.secretKeyRef in the manifest.

--dry-run=client prints the Jobs the run would create (-o text: a table,
-o yaml: the Jobs, -o json: a List) without contacting the cluster;
--dry-run=server sends each as a create with dryRun=All and reports every
refusal (quota, admission, PodSecurity, RBAC, names) at once, exit 2. Neither
creates anything, not even the run record.

Exit codes: 0 succeeded, 1 run failed (or the JUnit/JSON report could not be
written), 2 invalid model or usage (nothing created), 3 cluster error, 130
interrupted (resume with --run-id).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			o.name = commandName(cmd)
			return o.run(ctx)
		},
	}
	cmd.Flags().StringVarP(&o.filename, "filename", "f", "jobermodel.yaml", "model file")
	cmd.Flags().StringVar(&o.runID, "run-id", "", "run ID to use; an unfinished run with this ID is resumed")
	// A fan-out's creates are the run's critical path: at 100 QPS the 999
	// creates after a fan-out's root took 8 s, at 500 the API server's own
	// pace (~3 s here; BENCHMARKS.md). The server's priority and fairness
	// still protects it from a busy run.
	cmd.Flags().Float32Var(&o.api.qps, "kube-api-qps", 500, "queries per second to the API server (the run's own client-side limit)")
	cmd.Flags().IntVar(&o.api.burst, "kube-api-burst", 1000, "burst of queries to the API server")
	// As kube-controller-manager and kube-scheduler: protobuf costs the API
	// server (which shares the machine with the Job controller) less CPU per
	// create than JSON (BENCHMARKS.md, "The Job controller's floor").
	cmd.Flags().StringVar(&o.api.contentType, "kube-api-content-type", runtime.ContentTypeProtobuf,
		"content type of requests to the API server: "+runtime.ContentTypeProtobuf+" or "+runtime.ContentTypeJSON)
	cmd.Flags().IntVar(&o.api.creates, "concurrent-creates", 16,
		"Job creates (and cleanup's deletes) in flight at once; fewer hand a wave of ready Jobs to the Job controller at a slower pace")
	cmd.Flags().IntVar(&o.logLines, "log-lines", 20,
		"last log lines of each failed container to show with a failed Job (0 turns off; needs pods/log get)")
	cmd.Flags().BoolVar(&o.retryFailed, "retry-failed", false,
		"with --run-id of a failed run: run its failed, skipped and never-run jobs again (Jobs that succeeded or still run are kept)")
	// Tests only (test/e2e/chaos): small record segments in a small run. Hidden.
	cmd.Flags().IntVar(&o.segmentBytes, "record-segment-bytes", 0, "bound of the run record's segments in bytes (tests; 0: the default, 256 KiB)")
	_ = cmd.Flags().MarkHidden("record-segment-bytes")
	cmd.Flags().BoolVar(&o.jobEvents, "job-events", true,
		"post a Created and a Deleted Event on every Job (two writes per Job); false keeps only warnings and the run's summary Event")
	cmd.Flags().DurationVar(&o.api.leaseDuration, "lease-duration", controller.DefaultLeaseDuration,
		"how long the run's Lease outlives a killed orchestrator (a restart waits at most this long)")
	addEnvFlag(cmd.Flags(), &o.env)
	cmd.Flags().StringVar(&o.dryRun, "dry-run", "none",
		`"client": validate and print the Jobs the run would create (-o text|yaml|json), contacting no cluster; "server": send each as a dry-run create, report every refusal, exit 2 if any; nothing is persisted either way`)
	o.output.addFlags(cmd.Flags())
	o.addFlags(cmd)
	return cmd
}

func (o *runOptions) run(ctx context.Context) error {
	model, ns, params, err := o.load()
	if err != nil || o.dryRun != "none" {
		if err == nil {
			err = o.runDry(ctx, model, ns, params)
		}
		return err
	}
	clients, err := o.newClients(ctx, model, ns)
	if err != nil {
		return err
	}
	defer clients.close()
	runID := o.runID
	if runID == "" {
		runID = runmeta.NewRunID(modelName(model), time.Now())
	}
	out, err := o.output.open(o.streams, model, ns, runID)
	if err != nil {
		return err
	}
	defer out.Close()
	fmt.Fprintf(out.Info, "run ID: %s (namespace %s)\n", runID, ns)
	term, err := o.newTerm(ctx, clients, out, model, ns, runID, params)
	if err != nil {
		return err
	}
	res, err := term.runUntilDone(ctx)
	out.StopLive()
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			return ee
		}
		return o.runError(err, runID, ns)
	}
	controller.DeleteRunLease(ctx, clients.run, ns, runID)
	if err := out.Finish(res); err != nil {
		return err
	}
	klog.FromContext(ctx).V(2).Info("Run finished", "run", runID, "succeeded", res.Succeeded)
	if !res.Succeeded {
		return &ExitError{Code: ExitRunFailed, Err: fmt.Errorf("run %s failed", runID), Silent: true}
	}
	return nil
}

// newTerm is the run's first Lease term: what its controllers are given.
func (o *runOptions) newTerm(ctx context.Context, clients *runClients, out *runOutput, model *config.Model, ns, runID string, params map[string]string) (*leaseTerm, error) {
	owner := ownerFromEnv()
	if err := checkRecordOwner(ctx, clients.run, ns, runID, owner); err != nil {
		return nil, err
	}
	// Pods tell why a Job failed or cannot start; a Role from before they
	// were read (or a user without the right) still runs, without that.
	watchPods := canListPods(ctx, clients.run, ns, runID)
	if !watchPods {
		fmt.Fprintf(o.streams.ErrOut, "warning: may not list pods in namespace %s: failed Jobs will be reported without their pods' exit codes and messages\n", ns)
	}
	return &leaseTerm{o: o, clients: clients, out: out, model: model, ns: ns, runID: runID,
		opts: controller.Options{
			Namespace: ns, RunID: runID, Model: model, Recorder: clients.recorder,
			SkipJobEvents: !o.jobEvents, Owner: owner, RetryFailed: o.retryFailed,
			Events: controller.Events{OnTransition: out.OnTransition, OnNote: out.OnNote, OnDiagnosis: out.OnDiagnosis},
			Params: params, LogLines: o.logLines, CreateWorkers: o.api.creates, RecordSegmentBytes: o.segmentBytes,
		},
		watchPods: watchPods,
	}, nil
}

// load checks the flags, loads and validates the model and settles the
// namespace: everything that can fail before the cluster is contacted
// (exit 2, nothing created).
func (o *runOptions) load() (model *config.Model, ns string, params map[string]string, err error) {
	if o.logLines < 0 {
		return nil, "", nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--log-lines %d: want 0 (off) or more", o.logLines)}
	}
	switch o.dryRun {
	case "none", "client", "server":
	default:
		return nil, "", nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("unknown --dry-run %q: use client or server", o.dryRun)}
	}
	if o.api.creates < 1 {
		return nil, "", nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--concurrent-creates %d: want 1 or more", o.api.creates)}
	}
	if err := setContentType(&rest.Config{}, o.api.contentType); err != nil {
		return nil, "", nil, err
	}
	if params, err = parseEnv(o.env); err != nil {
		return nil, "", nil, err
	}
	if model, err = config.Load(o.filename, config.LoadOptions{Namespace: o.namespaceFlag()}); err != nil {
		return nil, "", nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	printEnvWarnings(o.streams.ErrOut, model, params)
	if o.runID != "" {
		if err := runmeta.ValidateRunID(o.runID); err != nil {
			return nil, "", nil, &ExitError{Code: ExitInvalid, Err: err}
		}
	}
	ns = o.namespace(model)
	if err := checkNamespaces(model, ns); err != nil {
		return nil, "", nil, &ExitError{Code: ExitInvalid, Err: err}
	}
	return model, ns, params, nil
}

// canListPods asks the API server (one LIST of at most one pod) whether
// this identity may read the run's pods.
func canListPods(ctx context.Context, client kubernetes.Interface, ns, runID string) bool {
	_, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: runmeta.LabelRun + "=" + runID, Limit: 1})
	return !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err)
}

// runError is exitError, and for an interrupted run the commands that
// resume or stop it.
func (o *runOptions) runError(err error, runID, ns string) error {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(o.streams.ErrOut, "interrupted: the run's Jobs are left as they are; resume with:\n  %s run -f %s -n %s --run-id %s\nor stop it for good (deletes its running Jobs):\n  %s cancel -n %s --run-id %s\n",
			o.name, o.filename, ns, runID, o.name, ns, runID)
		return &ExitError{Code: ExitInterrupted, Err: err, Silent: true}
	}
	return exitError(err)
}

// namespace: -n, then the model's kubernetes_namespace, then the
// kubeconfig context's (or the Pod's) namespace, then "default".
func (o *runOptions) namespace(model *config.Model) string {
	return o.namespaceOr(model.Options.Namespace)
}

// checkNamespaces rejects manifests that name another namespace than the
// run's, now that the effective namespace is known.
func checkNamespaces(m *config.Model, ns string) error {
	var problems []config.Problem
	for _, j := range m.Jobs() {
		for _, mf := range j.Manifests {
			if mf.Job.Namespace != "" && mf.Job.Namespace != ns {
				problems = append(problems, config.Problem{File: m.Path, Phase: j.Phase, Job: j.Name, Manifest: mf.Path,
					Field: "metadata.namespace", Message: fmt.Sprintf("the manifest names namespace %q but the run is in %q", mf.Job.Namespace, ns)})
			}
		}
	}
	if len(problems) > 0 {
		return &config.ValidationError{Problems: problems}
	}
	return nil
}

func modelName(m *config.Model) string {
	if m.Options.JobName != "" {
		return m.Options.JobName
	}
	return "run"
}

// ownerFromEnv: inside the wrapper Job of `jobernetes cronjob`, the
// downward API gives the Job's name and UID; owning the run record by that
// Job makes deleting it (or the CronJob's history limit) remove the run.
func ownerFromEnv() *metav1.OwnerReference {
	name, uid := os.Getenv(bundle.EnvOwnerJobName), os.Getenv(bundle.EnvOwnerJobUID)
	if name == "" || uid == "" {
		return nil
	}
	return &metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: name, UID: types.UID(uid)}
}

// checkRecordOwner refuses to resume a run whose record belongs to an
// earlier wrapper Job of the same name: a one-shot wrapper Job deleted and
// applied again starts a new run, but the garbage collector may not have
// removed the old run's record yet. Exit 3 lets the wrapper Job retry
// (with backoff) once it is gone.
func checkRecordOwner(ctx context.Context, client kubernetes.Interface, ns, runID string, owner *metav1.OwnerReference) error {
	if owner == nil {
		return nil
	}
	run, err := record.GetHead(ctx, client, ns, runID)
	if err != nil {
		return nil // not there (a new run), or Prepare reports the error
	}
	for _, ref := range run.Meta.OwnerReferences {
		if ref.Kind == owner.Kind && ref.Name == owner.Name && ref.UID != owner.UID {
			return &ExitError{Code: ExitCluster, Err: fmt.Errorf(
				"run record %s/%s belongs to an earlier Job %s (uid %s), not to this one (uid %s): the garbage collector has yet to delete it; retry once it is gone",
				ns, run.Meta.Name, ref.Name, ref.UID, owner.UID)}
		}
	}
	return nil
}

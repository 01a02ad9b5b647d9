package framework

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables the e2e harness reads.
const (
	// EnvBinDir names a folder with the five binaries; skips the build script.
	EnvBinDir = "JOBERNETES_CONTROL_PLANE_BIN"
	// EnvE2E=0 runs e2e packages without a control plane (their tests skip).
	EnvE2E = "JOBERNETES_E2E"
	// EnvAttach names the dir of a running `cluster up` control plane to use
	// instead of starting one; it is left running.
	EnvAttach = "JOBERNETES_E2E_ATTACH"
	// EnvControllerManagerArgs: more kube-controller-manager flags, split at
	// white space, after (and so overriding) the framework's own.
	EnvControllerManagerArgs = "JOBERNETES_E2E_KCM_ARGS"
	// EnvKeep=1 keeps the temporary control plane dir (logs, audit log) after the run.
	EnvKeep = "JOBERNETES_E2E_KEEP"
)

const modulePath = "github.com/jobernetes/jobernetes"

// Current is the control plane of this test binary, set by Main; nil when
// e2e tests are skipped.
var Current *ControlPlane

// RequireCluster returns Current, or skips the test when there is none.
func RequireCluster(t testing.TB) *ControlPlane {
	t.Helper()
	if Current == nil {
		t.Skipf("no control plane (-short or %s=0)", EnvE2E)
	}
	return Current
}

// Main is the body of an e2e package's TestMain: one control plane for the
// whole package, started before the tests and stopped after them.
//
//	func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
func Main(m *testing.M) int {
	flag.Parse()
	if testing.Short() || os.Getenv(EnvE2E) == "0" {
		fmt.Fprintf(os.Stderr, "e2e: no control plane (-short or %s=0): cluster tests skip\n", EnvE2E)
		return m.Run()
	}
	if dir := os.Getenv(EnvAttach); dir != "" {
		cp, err := Attach(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			return 1
		}
		if running := cp.RunningComponents(); len(running) != 5 {
			fmt.Fprintf(os.Stderr, "e2e: control plane in %s is not fully running (%v)\n", dir, running)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e: using the control plane in %s\n", cp.Dir)
		Current = cp
		return m.Run()
	}

	sweepStaleDirs()
	bin, err := BinDir()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	startCtx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cp, err := Start(startCtx, Options{BinDir: bin, LogOutput: os.Stderr, KeepDir: os.Getenv(EnvKeep) == "1"})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: control plane started in %s\n", cp.StartupTime.Round(time.Millisecond))
	Current = cp

	// An interrupted run still stops the components in order. (A crash or a
	// test timeout kills them through Pdeathsig instead.)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the control plane\n", s)
		_ = cp.Stop()
		os.Exit(130)
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigs)
	}()
	defer func() { _ = cp.Stop() }() // also on a panic in m.Run

	code := m.Run()
	if err := cp.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	if cp.keepDir {
		fmt.Fprintf(os.Stderr, "e2e: control plane dir kept: %s\n", cp.Dir)
	}
	return code
}

// BinDir returns the folder with the control-plane binaries: $JOBERNETES_CONTROL_PLANE_BIN
// if set, else the last line hack/build-control-plane.sh prints (it builds
// them once; later runs return at once).
func BinDir() (string, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return dir, checkBinDir(dir)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	// Test packages run in parallel: one build at a time, the others then find it done.
	unlock, err := lockFile(filepath.Join(os.TempDir(), "jobernetes-build-control-plane.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	script := filepath.Join(root, "hack", "build-control-plane.sh")
	cmd := exec.Command(script)
	cmd.Dir = root
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr // progress of a cold build (~13 min)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build control plane (%s): %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if dir == "" {
		return "", fmt.Errorf("build control plane: %s printed no folder", script)
	}
	return dir, checkBinDir(dir)
}

func checkBinDir(dir string) error {
	for _, name := range []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kwok} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("control plane binaries: %w", err)
		}
	}
	return nil
}

// RepoRoot finds the repository root: the nearest parent of the working
// directory whose go.mod declares this module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

func isModuleRoot(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// lockFile takes an exclusive flock on path, waiting for other holders.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open build lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("take build lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// sweepStaleDirs removes the temporary dirs of earlier test binaries that died
// without cleaning up (a test timeout, a kill): their components died with
// them (Pdeathsig), but the dir stays. Only dirs whose state.json lists no
// live process are removed; kept dirs (EnvKeep) have no state.json.
func sweepStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "jobernetes-e2e-*"))
	for _, dir := range dirs {
		prev, err := readState(dir)
		if err != nil || len(prev.procs) == 0 || len(prev.RunningComponents()) > 0 {
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			fmt.Fprintf(os.Stderr, "e2e: removed %s, left by an earlier run\n", dir)
		}
	}
}

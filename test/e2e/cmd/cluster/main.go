// Command cluster starts and stops the e2e control plane for humans:
//
//	go run ./test/e2e/cmd/cluster up [--dir D]      # start detached, print export KUBECONFIG=...
//	go run ./test/e2e/cmd/cluster status [--dir D]
//	go run ./test/e2e/cmd/cluster down [--dir D]    # stop exactly the processes up started
//
// D defaults to _output/cluster under the repository root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/jobernetes/jobernetes/test/e2e/framework"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: cluster up|down|status [--dir DIR]")
	}
	cmd := args[0]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dir := fs.String("dir", "", "control plane folder (default _output/cluster under the repo root)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		root, err := framework.RepoRoot()
		if err != nil {
			return err
		}
		*dir = filepath.Join(root, "_output", "cluster")
	}
	switch cmd {
	case "up":
		return up(*dir)
	case "down":
		return down(*dir)
	case "status":
		return status(*dir)
	default:
		return fmt.Errorf("unknown command %q: want up, down or status", cmd)
	}
}

func up(dir string) error {
	bin, err := framework.BinDir()
	if err != nil {
		return err
	}
	// Ctrl-C during start-up stops what was started; afterwards the
	// processes run on in their own session.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	cp, err := framework.Start(ctx, framework.Options{BinDir: bin, Dir: dir, Detach: true, LogOutput: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "control plane running; logs in %s, stop with: go run ./test/e2e/cmd/cluster down --dir %s\n",
		filepath.Join(cp.Dir, "logs"), cp.Dir)
	fmt.Printf("export KUBECONFIG=%s\n", cp.AdminKubeconfig)
	return nil
}

func down(dir string) error {
	cp, err := framework.Attach(dir)
	if errors.Is(err, framework.ErrNoControlPlane) {
		fmt.Fprintf(os.Stderr, "no control plane recorded in %s\n", dir)
		return nil
	}
	if err != nil {
		return err
	}
	cp.SetLogOutput(os.Stderr)
	return cp.Stop()
}

func status(dir string) error {
	cp, err := framework.Attach(dir)
	if errors.Is(err, framework.ErrNoControlPlane) {
		fmt.Printf("not running (no state in %s)\n", dir)
		return nil
	}
	if err != nil {
		return err
	}
	running := map[string]bool{}
	for _, name := range cp.RunningComponents() {
		running[name] = true
	}
	rss := cp.RSS()
	for _, p := range cp.Processes() {
		state := "stopped"
		if running[p.Name] {
			state = fmt.Sprintf("running  %4d MiB", rss[p.Name]>>20)
		}
		fmt.Printf("%-24s pid %-8d %s\n", p.Name, p.PID, state)
	}
	fmt.Printf("server %s\nexport KUBECONFIG=%s\n", cp.Server, cp.AdminKubeconfig)
	return nil
}

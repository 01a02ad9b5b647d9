package framework

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one component the control plane started. A process read back
// from a state file (cluster down/status) has no cmd: it is then identified by
// PID plus its start time, so a recycled PID is never signalled.
type process struct {
	Name    string   `json:"name"`
	PID     int      `json:"pid"`
	Start   uint64   `json:"startTicks"` // field 22 of /proc/PID/stat
	LogPath string   `json:"log"`
	Args    []string `json:"args"`

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, valid after done
}

// startProcess runs bin with args, stdout and stderr appended to logPath.
// Every process leads its own process group, so a terminal's Ctrl-C reaches
// only the Go process, which then stops the components in order. Attached
// processes also die with the Go process (Pdeathsig) so a crashed or timed-out
// test leaves nothing behind; detached ones get their own session and outlive it.
func startProcess(name, bin string, args, env []string, logPath string, detach bool) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), env...)
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	fmt.Fprintf(logFile, "=== %s %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{
		Name:    name,
		PID:     cmd.Process.Pid,
		LogPath: logPath,
		Args:    append([]string{bin}, args...),
		cmd:     cmd,
		done:    make(chan struct{}),
	}
	p.Start, _ = procStartTicks(p.PID)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// running reports whether the process is still alive (and still ours).
func (p *process) running() bool {
	if p.cmd != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	ticks, err := procStartTicks(p.PID)
	return err == nil && ticks == p.Start
}

// exitError describes how a finished child ended.
func (p *process) exitError() error {
	if p.cmd == nil {
		return errors.New("exited")
	}
	<-p.done
	if p.err == nil {
		return errors.New("exited with status 0")
	}
	return p.err
}

// signal sends sig to the process group the process leads, which is the
// process itself for every component here.
func (p *process) signal(sig syscall.Signal) {
	if !p.running() {
		return
	}
	if err := syscall.Kill(-p.PID, sig); err != nil {
		_ = syscall.Kill(p.PID, sig)
	}
}

// wait waits up to timeout for the process to exit.
func (p *process) wait(timeout time.Duration) bool {
	if p.cmd != nil {
		select {
		case <-p.done:
			return true
		case <-time.After(timeout):
			return false
		}
	}
	deadline := time.Now().Add(timeout)
	for p.running() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// stopProcesses sends SIGTERM to all of procs at once, waits up to grace for
// them, then SIGKILLs the rest.
func stopProcesses(procs []*process, grace time.Duration) error {
	for _, p := range procs {
		p.signal(syscall.SIGTERM)
	}
	var errs []error
	for _, p := range procs {
		if p.wait(grace) {
			continue
		}
		p.signal(syscall.SIGKILL)
		if !p.wait(5 * time.Second) {
			errs = append(errs, fmt.Errorf("%s (pid %d) survived SIGKILL", p.Name, p.PID))
		}
	}
	return errors.Join(errs...)
}

// procStartTicks returns the start time of pid in clock ticks since boot, an
// identity that survives PID reuse. A zombie counts as gone.
func procStartTicks(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: split after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	// fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return 0, fmt.Errorf("pid %d is a zombie", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// rss returns the resident set size of pid in bytes (VmRSS of /proc/PID/status).
func rss(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS of pid %d: %w", pid, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// tailFile returns the last n lines of path.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	// Component logs grow to megabytes; read only the end.
	const window = 256 << 10
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot stat %s: %v)", path, err)
	}
	off := max(st.Size()-window, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if off > 0 && len(lines) > 0 {
		lines = lines[1:] // first line is likely cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

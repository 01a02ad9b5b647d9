package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// dockerfile is the image's recipe, read by the test instead of copied into
// it: the binary is built by the Dockerfile's own build command.
const dockerfile = "../../Dockerfile"

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	stage     int // index of the FROM it belongs to
}

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	stage := -1
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	return out
}

// The image holds one static binary that runs as a non-root user with nothing
// else: no libc, no shell, no environment. Without a docker engine, build the
// binary exactly as the Dockerfile does and check that.
func TestImageBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	instrs := parseDockerfile(t)
	last := instrs[len(instrs)-1].stage

	// The final stage: a distroless static (or empty) base, a non-root user,
	// the binary as entrypoint.
	var base, user, entrypoint, copyFrom string
	for _, in := range instrs {
		if in.stage != last {
			continue
		}
		switch in.cmd {
		case "FROM":
			base = in.args
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY":
			copyFrom = in.args
		case "RUN":
			t.Errorf("the final stage runs %q: it has no shell", in.args)
		}
	}
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final base %q: want distroless static or scratch", base)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	m := regexp.MustCompile(`^--from=\S+\s+(\S+)\s+(\S+)$`).FindStringSubmatch(copyFrom)
	if m == nil {
		t.Fatalf("final stage COPY %q: want COPY --from=build SRC DST", copyFrom)
	}
	builtAt, imagePath := m[1], m[2]
	if entrypoint != `["`+imagePath+`"]` {
		t.Errorf("ENTRYPOINT %s, want [%q]", entrypoint, imagePath)
	}

	// The build stage: its COPYs make the build context (only what they
	// copy is there, as in `docker build`), then its go build, with the
	// build args the Makefile passes.
	src := t.TempDir() // WORKDIR /src
	var build string
	args := map[string]string{}
	for _, in := range instrs {
		if in.stage == last {
			continue
		}
		switch in.cmd {
		case "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case "WORKDIR":
			if in.args != "/src" {
				t.Fatalf("build stage WORKDIR %s: this test expects /src", in.args)
			}
		case "COPY":
			f := strings.Fields(in.args)
			for _, from := range f[:len(f)-1] {
				copyTree(t, filepath.Join("../..", from), filepath.Join(src, strings.TrimPrefix(f[len(f)-1], "./"), dirPart(from)))
			}
		case "RUN":
			if strings.Contains(in.args, "go build") {
				build = in.args
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X github.com/jobernetes/jobernetes/pkg/version.Version=", " -o " + builtAt + " "} {
		if !strings.Contains(build, want) {
			t.Fatalf("the Dockerfile's build %q lacks %q", build, want)
		}
	}
	args["VERSION"], args["COMMIT"] = "v9.9.9-imagetest", "abc1234"
	out := t.TempDir()
	bin := filepath.Join(out, "jobernetes")
	build = strings.Replace(build, " -o "+builtAt+" ", " -o "+bin+" ", 1)
	build = os.Expand(build, func(k string) string { return args[k] })
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, b)
	}
	t.Logf("built as the Dockerfile does: %s", build)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %s program header: it is dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}

	// Run it as the image would: alone in its file system (a chroot holding
	// only the binary, when we may), as the image's user, with an empty
	// environment and working directory.
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	inImage := filepath.Join(root, imagePath)
	if err := os.MkdirAll(filepath.Dir(inImage), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inImage, data, 0o755); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(inImage, "version")
	run.Env = []string{}
	run.Dir = root
	if os.Geteuid() == 0 {
		run.Path, run.Dir = imagePath, "/"
		run.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		t.Logf("running %s version in a chroot holding only the binary, as uid 65532", imagePath)
	} else {
		t.Logf("not root: running the binary with an empty environment from an empty folder (no chroot)")
	}
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("version: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "jobernetes v9.9.9-imagetest\ncommit: abc1234\n") {
		t.Errorf("version printed %q: want the -ldflags -X values", stdout.String())
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("the binary wrote into its file system: %v", entries)
	}
}

// dirPart is what `COPY from dst/` adds under dst: nothing for a folder
// (its contents land in dst), the file's name for a file.
func dirPart(from string) string {
	if strings.HasSuffix(from, "/") {
		return ""
	}
	return filepath.Base(from)
}

// copyTree copies the file or folder from to to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatalf("COPY %s: %v", from, err)
	}
}

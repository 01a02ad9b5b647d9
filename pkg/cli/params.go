package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jobernetes/jobernetes/pkg/config"
)

// addEnvFlag adds -e/--env KEY=VALUE, repeatable.
func addEnvFlag(fs *pflag.FlagSet, env *[]string) {
	fs.StringArrayVarP(env, "env", "e", nil,
		"parameter KEY=VALUE injected into every container of every Job of the run (repeatable; wins over the model's env; not for secrets)")
}

// parseEnv turns -e KEY=VALUE flags into parameters; a later flag wins over
// an earlier one of the same key. Names must be valid environment variable
// names and not one of the JOBERNETES_* ones jobernetes sets itself.
func parseEnv(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("-e %q: write KEY=VALUE (KEY= for an empty value)", f)}
		}
		if msg := config.EnvProblem(k); msg != "" {
			return nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("-e %q: %s", f, msg)}
		}
		out[k] = v
	}
	return out, nil
}

// printEnvWarnings says which parameters a manifest's own env overrides.
func printEnvWarnings(w io.Writer, m *config.Model, extra map[string]string) {
	for _, p := range m.EnvWarnings(extra) {
		fmt.Fprintf(w, "warning: %s\n", p.String())
	}
}

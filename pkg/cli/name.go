package cli

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// defaultName is the command's name when it is not invoked under another.
const defaultName = "jobernetes"

// invokedName is the name help and messages use for a binary started as
// arg0 (os.Args[0]). Installed as kubectl-jobernetes, kubectl runs it for
// `kubectl jobernetes ...`, so that is what its usage must read; kubectl
// maps "_" in a plugin's file name to "-" in the command.
func invokedName(arg0 string) string {
	base := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if rest, ok := strings.CutPrefix(base, "kubectl-"); ok && rest != "" {
		return "kubectl " + strings.ReplaceAll(strings.ReplaceAll(rest, "-", " "), "_", "-")
	}
	if base == "" || base == "." || base == string(filepath.Separator) {
		return defaultName
	}
	return base
}

// setCommandName makes root's help, usage lines, examples and long texts
// name the command as name (cobra's display name annotation covers usage
// lines and "Run '... --help'"; examples and texts are rewritten).
func setCommandName(root *cobra.Command, name string) {
	if name == "" || name == defaultName {
		return
	}
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = name
	var subs []string
	for _, c := range root.Commands() {
		subs = append(subs, regexp.QuoteMeta(c.Name()))
	}
	re := regexp.MustCompile(`\b` + defaultName + ` (` + strings.Join(subs, "|") + `)\b`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Example = re.ReplaceAllString(c.Example, name+" $1")
		c.Long = re.ReplaceAllString(c.Long, name+" $1")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// commandName is the name the running command was invoked by, for messages
// such as "resume with: NAME run --run-id ID".
func commandName(cmd *cobra.Command) string {
	return cmd.Root().DisplayName()
}

// Package clidocs writes the command reference of jobernetes from its cobra
// command tree, as kubectl's reference is made: one Markdown page per
// command (docs/commands) and one man page (docs/man). `make docs` runs it;
// a test fails when the pages in git are not what the commands say.
package clidocs

//go:generate go run ../../../hack/gendocs ../../../docs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/jobernetes/jobernetes/pkg/cli"
)

// manDate is the date in the man pages' footer: fixed, so that the pages
// change only when the commands do.
var manDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Generate writes the Markdown reference into dir/commands and the man
// pages into dir/man, replacing what was there.
func Generate(dir string) error {
	md, man := filepath.Join(dir, "commands"), filepath.Join(dir, "man")
	for _, d := range []string{md, man} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(root(), md); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	header := &doc.GenManHeader{Title: "JOBERNETES", Section: "1", Date: &manDate, Source: "jobernetes", Manual: "jobernetes manual"}
	if err := doc.GenManTree(root(), header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}

// root is the command tree as a user gets it, with defaults that depend
// on the machine (the home directory) written as $HOME.
func root() *cobra.Command {
	r := cli.NewRootCommand(genericiooptions.NewTestIOStreamsDiscard())
	r.DisableAutoGenTag = true // no date: the pages change when the commands do
	home, _ := os.UserHomeDir()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if home != "" && home != "/" {
					f.DefValue = strings.ReplaceAll(f.DefValue, home, "$HOME")
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(r)
	return r
}

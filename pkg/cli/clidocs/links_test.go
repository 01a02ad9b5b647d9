package clidocs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdLink is a Markdown link's target, without its #anchor.
var mdLink = regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)

// Every page of docs/ is linked from the README, and every relative link
// of the README and of docs/*.md leads to a file that exists: a newcomer
// reaches any page, and any command's flags, from the README.
func TestDocsReachableFromREADME(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands, err := filepath.Glob(filepath.Join(root, "docs", "commands", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n >= 250 {
		t.Errorf("README.md has %d lines: a landing page stays under 250, the rest goes to docs/", n)
	}
	for _, p := range append(pages, commands...) {
		rel, _ := filepath.Rel(root, p)
		if !strings.Contains(string(readme), "]("+filepath.ToSlash(rel)+")") {
			t.Errorf("README.md does not link %s", rel)
		}
	}
	for _, p := range append([]string{filepath.Join(root, "README.md")}, pages...) {
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), filepath.FromSlash(target))); err != nil {
				t.Errorf("%s links %s, which does not exist", p, target)
			}
		}
	}
}

// Command gendocs writes the command reference (Markdown and man pages)
// from the cobra command tree, and the table of model keys in model.md from
// the model's JSON Schema: `go run ./hack/gendocs docs` (make docs).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jobernetes/jobernetes/pkg/cli/clidocs"
	"github.com/jobernetes/jobernetes/pkg/config"
)

func main() {
	dir := "docs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	err := clidocs.Generate(dir)
	if err == nil {
		err = clidocs.UpdateModelKeys(filepath.Join(dir, "model.md"), config.Schema())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

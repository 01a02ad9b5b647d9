// Command gendocs writes the command reference (Markdown and man pages)
// from the cobra command tree: `go run ./hack/gendocs docs` (make docs).
package main

import (
	"fmt"
	"os"

	"github.com/jobernetes/jobernetes/pkg/cli/clidocs"
)

func main() {
	dir := "docs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := clidocs.Generate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// Command jobernetes runs a DAG of Kubernetes batch/v1 Jobs. All of it lives
// in pkg/cli; main only hands over the process's exit code.
package main

import (
	"os"

	"github.com/jobernetes/jobernetes/pkg/cli"
)

func main() { os.Exit(cli.Execute()) }

// Command jobernetes runs a DAG of Kubernetes batch/v1 Jobs. All of it lives
// in pkg/cli; main only hands over the process's exit code.
package main

import (
	"os"
	// cronjob --time-zone checks names with time.LoadLocation; the static
	// image has no /usr/share/zoneinfo, so the binary carries the database.
	_ "time/tzdata"

	"github.com/jobernetes/jobernetes/pkg/cli"
)

func main() { os.Exit(cli.Execute()) }

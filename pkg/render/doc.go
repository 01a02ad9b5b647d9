// Package render draws a run and its model for people: the graph as text,
// Mermaid and DOT, the status text and tables, the SVG Gantt chart, the live
// view of `run` on a terminal, and the registry of `status -o` formats. It
// reads what pkg/report and pkg/config hold and writes to an io.Writer; it
// knows nothing of cobra, flags or exit codes (pkg/cli does).
package render

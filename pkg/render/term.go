package render

import (
	"io"
	"os"

	"golang.org/x/term"
)

// TerminalFile returns w as a terminal, or nil when it is not one.
func TerminalFile(w io.Writer) *os.File {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

// Styled reports whether out gets a terminal's styling (colours, a view
// redrawn in place): out is a terminal, and neither --no-color (noColor),
// NO_COLOR (any non-empty value, as no-color.org says) nor TERM=dumb asks
// for plain output. The one place of this decision: run's live view, logs'
// colours and status -w's redraw all ask it.
func Styled(out io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return TerminalFile(out) != nil
}

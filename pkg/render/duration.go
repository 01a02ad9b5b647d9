package render

import "time"

// Duration rounds like the run's progress lines: milliseconds under a second,
// tenths of a second under a minute, seconds above.
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

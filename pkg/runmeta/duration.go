package runmeta

import "time"

// RoundDuration rounds d for display: milliseconds under a second, else
// tenths of a second; never negative.
func RoundDuration(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

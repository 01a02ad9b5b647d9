package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// checkSchedule refuses, before anything is printed, a schedule or time zone
// the API server would reject: a CronJob that fails at `kubectl apply` time
// (or, worse, a one-shot Job printed for an empty schedule) is a surprise.
// It parses as the CronJob controller does (robfig/cron's standard parser:
// five fields or a macro such as @hourly).
func checkSchedule(schedule, timeZone string) error {
	if strings.Contains(schedule, "TZ=") {
		return fmt.Errorf("--schedule %q: use --time-zone instead of TZ= or CRON_TZ=", schedule)
	}
	if strings.HasPrefix(strings.TrimSpace(schedule), "@every") {
		// The parser knows @every, a CronJob does not document it: keep to
		// what kubectl users can read about.
		return fmt.Errorf("--schedule %q: @every is not a CronJob schedule; use five fields or @yearly, @monthly, @weekly, @daily, @hourly", schedule)
	}
	if _, err := cron.ParseStandard(schedule); err != nil {
		return fmt.Errorf("--schedule %q: %w; write five fields (minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\") or a macro such as @hourly", schedule, err)
	}
	if timeZone == "" {
		return nil
	}
	// As the API server: "Local" depends on the controller's machine.
	if strings.EqualFold(timeZone, "Local") {
		return fmt.Errorf("--time-zone %q: name a time zone of the tz database, such as Europe/Berlin or UTC", timeZone)
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return fmt.Errorf("--time-zone %q: unknown time zone; name one of the tz database, such as Europe/Berlin or UTC", timeZone)
	}
	return nil
}

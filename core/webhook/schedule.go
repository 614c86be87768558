package webhook

import "time"

// Schedule is the delay before each attempt of a delivery after the one
// before it failed, as the Standard Webhooks specification recommends:
// the first at once, then 5s, 5m, 30m, 2h, 5h, 10h and 10h. A delivery
// whose last attempt failed has failed.
var Schedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// NextDelay is how long after its attempts-th failed attempt a delivery
// is attempted again, and false when that was its last.
func NextDelay(attempts int) (time.Duration, bool) {
	if attempts < 1 || attempts >= len(Schedule) {
		return 0, false
	}
	return Schedule[attempts], true
}

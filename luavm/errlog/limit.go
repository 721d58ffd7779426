package errlog

import (
	"strconv"
	"sync"
	"time"
)

// Limiter lets one line per cause through per period and counts the rest,
// so that an outage (a store unreachable on every handshake) logs a line a
// second instead of one per attempt. The line that opens the next period
// says how many were suppressed. Safe for use by many goroutines.
type Limiter struct {
	period time.Duration
	now    func() time.Time

	mu     sync.Mutex
	causes map[string]*limitState
}

type limitState struct {
	last       time.Time
	suppressed int
}

// limiterCauses bounds the causes remembered; past it the table starts
// afresh (a flood of distinct causes is not what the limiter is for).
const limiterCauses = 1024

// NewLimiter lets one line per cause through every period.
func NewLimiter(period time.Duration) *Limiter {
	return &Limiter{period: period, now: time.Now, causes: map[string]*limitState{}}
}

// Allow reports whether a line of cause may be logged now and, if so, how
// many lines of it were suppressed since the last one logged.
func (l *Limiter) Allow(cause string) (suppressed int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.causes[cause]
	if st == nil {
		if len(l.causes) >= limiterCauses {
			clear(l.causes)
		}
		l.causes[cause] = &limitState{last: now}
		return 0, true
	}
	if now.Sub(st.last) < l.period {
		st.suppressed++
		return 0, false
	}
	n := st.suppressed
	st.last, st.suppressed = now, 0
	return n, true
}

// Suffix is what a logged line carries after suppressed similar lines:
// " (N similar messages suppressed)", or "" for none.
func Suffix(suppressed int) string {
	if suppressed == 0 {
		return ""
	}
	return " (" + strconv.Itoa(suppressed) + " similar messages suppressed)"
}

// LogLimited logs msg at level through lim: at most one line per cause per
// period, the next one saying how many were suppressed.
func (l *Logger) LogLimited(lim *Limiter, level Level, c *Conn, cause, msg string) {
	if !l.Enabled(level) {
		return
	}
	n, ok := lim.Allow(cause)
	if !ok {
		return
	}
	l.LogConn(level, c, msg+Suffix(n))
}

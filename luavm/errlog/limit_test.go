package errlog

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	lim := NewLimiter(time.Second)
	lim.now = func() time.Time { return now }
	var buf bytes.Buffer
	lg := ToWriter(&buf, Error)
	for i := 0; i < 5; i++ {
		lg.LogLimited(lim, Error, nil, "a", "redis down")
		lg.LogLimited(lim, Error, nil, "b", "other cause")
	}
	now = now.Add(999 * time.Millisecond)
	lg.LogLimited(lim, Error, nil, "a", "redis down")
	now = now.Add(time.Millisecond)
	lg.LogLimited(lim, Error, nil, "a", "redis down")
	lg.LogLimited(lim, Error, nil, "a", "redis down")
	lg.LogLimited(lim, Warn+1, nil, "a", "below the level: not even counted")
	now = now.Add(time.Second)
	lg.LogLimited(lim, Error, nil, "a", "redis down")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		_, msg, _ := strings.Cut(line, "[error] ")
		_, msg, _ = strings.Cut(msg, ": ")
		got = append(got, msg)
	}
	want := []string{"redis down", "other cause", "redis down (5 similar messages suppressed)", "redis down (1 similar messages suppressed)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

package httpserver

import "testing"

func TestNextProcs(t *testing.T) {
	for _, c := range []struct {
		cur, max int
		busy     float64
		want     int
	}{
		{2, 2, 0.3, 1},  // sequential load fits one P
		{1, 2, 0.3, 1},  // stays
		{1, 2, 0.9, 2},  // one P saturated: one more
		{2, 2, 1.9, 2},  // at the bound
		{2, 2, 0.6, 2},  // would not fit one P with room to spare
		{4, 4, 1.2, 3},  // 1.2 < 0.45*3
		{3, 4, 2.5, 4},  // 2.5 > 0.7*3
		{3, 2, 0.1, 2},  // the bound went down (reload)
		{1, 1, 0.99, 1}, // worker_processes 1
	} {
		if got := nextProcs(c.cur, c.max, c.busy); got != c.want {
			t.Errorf("nextProcs(%d, %d, %.2f) = %d, want %d", c.cur, c.max, c.busy, got, c.want)
		}
	}
}

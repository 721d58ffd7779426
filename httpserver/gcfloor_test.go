package httpserver

import "testing"

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{1 << 20, 400},
		{4 << 20, 300},
		{5 << 20, 200}, // 16/5 = 3.2 -> 220 -> 200
		{7 << 20, 100}, // 128
		{8 << 20, 100},
		{500 << 20, 100},
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

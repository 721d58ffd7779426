package ngxapi

import (
	"bytes"
	"strings"
	"testing"
)

// The fetch histogram is cumulative per bucket (le is inclusive), with the
// sum and count Prometheus expects.
func TestSessionStoreHistogram(t *testing.T) {
	var h histogram
	for _, sec := range []float64{0.0005, 0.0006, 0.003, 2} {
		h.observe(sec)
	}
	want := map[int]uint64{0: 1, 1: 1, 3: 1, len(fetchBuckets): 1}
	for i := range h.counts {
		if got := h.counts[i].Load(); got != want[i] {
			t.Errorf("bucket %d: %d, want %d", i, got, want[i])
		}
	}
	storeStats.used.Store(true)
	var b bytes.Buffer
	WriteSessionStoreMetrics(&b)
	out := b.String()
	for _, s := range []string{
		"# TYPE goresty_ssl_session_store_fetch_duration_seconds histogram\n",
		"goresty_ssl_session_store_fetch_duration_seconds_bucket{le=\"0.0005\"} ",
		"goresty_ssl_session_store_fetch_duration_seconds_bucket{le=\"+Inf\"} ",
		"# TYPE goresty_ssl_session_store_queue_length gauge\n",
		"goresty_ssl_session_store_fetches_total{result=\"skipped\"} ",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("no %q in\n%s", s, out)
		}
	}
}

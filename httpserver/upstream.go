package httpserver

import (
	"context"
	"hash/crc32"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/goresty/goresty/confparse"
)

// upstreamPool balances one "upstream" block's servers as nginx does:
// smooth weighted round robin (or least_conn, or hash [consistent]),
// max_fails failures within fail_timeout take a server out for
// fail_timeout, backup servers serve when every primary is out.
type upstreamPool struct {
	conf      *confparse.Upstream
	peers     []*peer // primaries, then backups
	ring      []ringPoint
	transport *http.Transport
	mu        sync.Mutex
}

type peer struct {
	addr        string
	weight      int
	maxFails    int
	failTimeout time.Duration
	backup      bool
	down        bool

	cur      int       // smooth round robin's current weight
	active   int       // requests in progress (least_conn)
	fails    int       // failures since failedAt
	failedAt time.Time // first failure of the current window
}

type ringPoint struct {
	hash uint32
	p    *peer
}

type dialTimeoutKey struct{}

// upstreamDial connects with the proxy_connect_timeout of the request
// (carried by its context), writing as its location says (upstreamConn).
func upstreamDial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := dialRaw(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return wrapUpstream(ctx, conn), nil
}

func dialRaw(ctx context.Context, network, addr string) (net.Conn, error) {
	to, _ := ctx.Value(dialTimeoutKey{}).(time.Duration)
	if to <= 0 {
		to = 60 * time.Second
	}
	return (&net.Dialer{Timeout: to}).DialContext(ctx, network, addr)
}

func newUpstreamPool(u *confparse.Upstream) *upstreamPool {
	pl := &upstreamPool{conf: u}
	for _, backup := range []bool{false, true} {
		for _, s := range u.Servers {
			if s.Backup == backup {
				pl.peers = append(pl.peers, &peer{addr: s.Addr, weight: s.Weight, maxFails: s.MaxFails,
					failTimeout: s.FailTimeout, backup: s.Backup, down: s.Down})
			}
		}
	}
	if u.Balance == "hash" && u.Consistent {
		for _, p := range pl.peers {
			for i := 0; i < 160*p.weight; i++ {
				pl.ring = append(pl.ring, ringPoint{crc32.ChecksumIEEE([]byte(p.addr + "-" + strconv.Itoa(i))), p})
			}
		}
		sort.Slice(pl.ring, func(i, j int) bool { return pl.ring[i].hash < pl.ring[j].hash })
	}
	t := &http.Transport{DialContext: upstreamDial, DisableCompression: true}
	if u.Keepalive > 0 {
		// nginx's keepalive N: idle connections kept (per worker)
		t.MaxIdleConnsPerHost = u.Keepalive
		t.IdleConnTimeout = u.KeepaliveTimeout
		if t.IdleConnTimeout == 0 {
			t.IdleConnTimeout = 60 * time.Second
		}
	} else {
		t.DisableKeepAlives = true // as nginx without keepalive: one connection per request
	}
	pl.transport = t
	return pl
}

// usable: not down, not out after max_fails failures within fail_timeout.
func (p *peer) usable(now time.Time) bool {
	if p.down {
		return false
	}
	if p.maxFails > 0 && p.fails >= p.maxFails && now.Sub(p.failedAt) < p.failTimeout {
		return false
	}
	return true
}

// get picks a server not yet tried for this request; nil when none is
// left. key is the hash key's value (hash balancing).
func (pl *upstreamPool) get(tried map[*peer]bool, key string) *peer {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	now := time.Now()
	var p *peer
	if pl.conf.Balance == "hash" {
		p = pl.hashPick(tried, key, now)
	}
	for _, backup := range []bool{false, true} {
		if p != nil {
			break
		}
		var cands []*peer
		for _, c := range pl.peers {
			if c.backup == backup && !tried[c] && c.usable(now) {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			continue
		}
		if pl.conf.Balance == "least_conn" {
			p = cands[0]
			for _, c := range cands[1:] {
				if c.active*p.weight < p.active*c.weight {
					p = c
				}
			}
			break
		}
		total := 0
		for _, c := range cands {
			c.cur += c.weight
			total += c.weight
			if p == nil || c.cur > p.cur {
				p = c
			}
		}
		p.cur -= total
	}
	if p != nil {
		p.active++
	}
	return p
}

// hashPick: the server the key maps to (the next one on the ring, for
// consistent); nil when that one cannot be used, then round robin picks.
func (pl *upstreamPool) hashPick(tried map[*peer]bool, key string, now time.Time) *peer {
	h := crc32.ChecksumIEEE([]byte(key))
	if pl.conf.Consistent {
		i := sort.Search(len(pl.ring), func(i int) bool { return pl.ring[i].hash >= h })
		for n := 0; n < len(pl.ring); n++ {
			pt := pl.ring[(i+n)%len(pl.ring)]
			if !tried[pt.p] && pt.p.usable(now) {
				return pt.p
			}
		}
		return nil
	}
	total := 0
	for _, p := range pl.peers {
		total += p.weight
	}
	w := int(h % uint32(total))
	for _, p := range pl.peers {
		if w < p.weight {
			if !tried[p] && p.usable(now) {
				return p
			}
			return nil
		}
		w -= p.weight
	}
	return nil
}

// done ends a request's use of p; failed counts an unsuccessful attempt
// (nginx's max_fails accounting). It reports whether p just went out.
func (pl *upstreamPool) done(p *peer, failed bool) (disabled bool) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	p.active--
	now := time.Now()
	if !failed {
		if now.Sub(p.failedAt) >= p.failTimeout {
			p.fails = 0
		}
		return false
	}
	if p.fails == 0 || now.Sub(p.failedAt) >= p.failTimeout {
		p.fails, p.failedAt = 0, now
	}
	p.fails++
	return p.maxFails > 0 && p.fails == p.maxFails
}

// upstreamPools makes the pools of the configuration's upstream blocks.
func upstreamPools(h *confparse.HTTPConf) map[string]*upstreamPool {
	m := map[string]*upstreamPool{}
	for _, u := range h.Upstreams {
		m[u.Name] = newUpstreamPool(u)
	}
	return m
}

func (pl *upstreamPool) close() { pl.transport.CloseIdleConnections() }

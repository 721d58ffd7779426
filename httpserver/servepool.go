package httpserver

import (
	"sync"
	"sync/atomic"
	"time"
)

// servePool hands work to idle serving goroutines, whose stacks already
// grew serving earlier work: growing a fresh goroutine's stack to what a
// handler and crypto/tls need cost more than the hand-off. A server idle
// for a whole second is retired (handed the zero T).
type servePool[T comparable] struct {
	ch   chan T
	idle atomic.Int64 // servers waiting in wait
	low  atomic.Int64 // the fewest idle servers since the last trim
	trim sync.Once
}

func newServePool[T comparable]() *servePool[T] { return &servePool[T]{ch: make(chan T)} }

// hand gives v to an idle server; false when none is idle (the caller
// serves it itself, or in a new goroutine, and that one then joins the
// pool through wait).
func (p *servePool[T]) hand(v T) bool {
	select {
	case p.ch <- v:
		return true
	default:
		p.trim.Do(func() { go p.trimLoop() })
		return false
	}
}

// wait parks a server until it is handed work: the zero T retires it.
func (p *servePool[T]) wait() T {
	p.idle.Add(1)
	v := <-p.ch
	if n := p.idle.Add(-1); n < p.low.Load() {
		p.low.Store(n)
	}
	return v
}

// trimLoop retires, once a second, the servers idle all that second.
func (p *servePool[T]) trimLoop() {
	var zero T
	for range time.Tick(time.Second) {
		for k := p.low.Swap(p.idle.Load()); k > 0; k-- {
			select {
			case p.ch <- zero:
			default:
				k = 0
			}
		}
	}
}

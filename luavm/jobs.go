package luavm

import "sync"

// Callers of Run wait on their job's done channel alone: a select over it
// and the worker's end cost more, once per run (BenchmarkRunContent: 1075
// against 945 ns). That is safe because every job given to a worker is
// in its jobList until answered, and a worker that ends answers the jobs
// still there with ErrClosed (end), while the worker goroutine takes a
// job out of the list before it answers (answer): each job is answered
// once, by one of them. A stuck worker that comes back after it was
// replaced finds its jobs answered already.
type jobList struct {
	mu    sync.Mutex
	first *runJob
	ended bool
}

// add lists j; false when the worker has ended.
func (l *jobList) add(j *runJob) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return false
	}
	j.prev, j.next, j.listed = nil, l.first, true
	if l.first != nil {
		l.first.prev = j
	}
	l.first = j
	return true
}

// take unlists j; false when it was not listed (answered already).
func (l *jobList) take(j *runJob) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !j.listed {
		return false
	}
	l.unlink(j)
	return true
}

func (l *jobList) unlink(j *runJob) {
	if j.prev != nil {
		j.prev.next = j.next
	} else {
		l.first = j.next
	}
	if j.next != nil {
		j.next.prev = j.prev
	}
	j.prev, j.next, j.listed = nil, nil, false
}

// end answers every listed job with ErrClosed; later adds fail.
func (l *jobList) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended = true
	for l.first != nil {
		j := l.first
		l.unlink(j)
		j.closed = true // its caller keeps it out of the pool
		j.done <- Result{Err: ErrClosed}
	}
}

// answer gives j's caller its result, unless the worker's end did.
func (w *Worker) answer(j *runJob, res Result) {
	if w.jobs.take(j) {
		j.done <- res
	}
}

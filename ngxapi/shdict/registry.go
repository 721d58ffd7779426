package shdict

import "sync"

// Registry holds the process's dicts by name. It outlives configuration
// generations: on a reload, a lua_shared_dict with the same name and size
// gets the same Dict back (contents kept), as nginx reuses a shared memory
// zone; a changed size gets a fresh, empty Dict.
type Registry struct {
	mu    sync.Mutex
	dicts map[string]*Dict
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry { return &Registry{dicts: make(map[string]*Dict)} }

// Default is the process-wide registry the server uses.
var Default = NewRegistry()

// Open returns the dict name with the given size, creating it or reusing
// the existing one when the size matches.
func (r *Registry) Open(name string, size int64) *Dict {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.dicts[name]; d != nil && d.capacity == size {
		return d
	}
	d := New(name, size)
	r.dicts[name] = d
	return d
}

// Get returns the current dict called name, or nil.
func (r *Registry) Get(name string) *Dict {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dicts[name]
}

// Names lists the registered dicts.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.dicts))
	for n := range r.dicts {
		names = append(names, n)
	}
	return names
}

// Retain drops every dict whose name is not in keep (after a reload
// committed a configuration without them), releasing its memory.
func (r *Registry) Retain(keep []string) {
	set := make(map[string]bool, len(keep))
	for _, n := range keep {
		set[n] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for n := range r.dicts {
		if !set[n] {
			delete(r.dicts, n)
		}
	}
}

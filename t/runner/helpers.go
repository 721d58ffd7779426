package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Helpers builds the module's own commands (cmd/<name>, e.g. tlsprobe) on
// demand for "--- exec" lines that name them, into one bin directory that
// is put first in PATH.
type Helpers struct {
	ModuleRoot string // directory with go.mod
	BinDir     string

	mu    sync.Mutex
	built map[string]error
}

var wordRe = regexp.MustCompile(`[A-Za-z0-9_-]+`)

// PathFor builds every cmd/<name> whose name appears as a word in text and
// returns the PATH to run the commands with.
func (h *Helpers) PathFor(text string) (string, error) {
	path := h.BinDir + string(os.PathListSeparator) + os.Getenv("PATH")
	seen := map[string]bool{}
	for _, w := range wordRe.FindAllString(text, -1) {
		if seen[w] {
			continue
		}
		seen[w] = true
		dir := filepath.Join(h.ModuleRoot, "cmd", w)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if err := h.build(w); err != nil {
			return "", err
		}
	}
	return path, nil
}

func (h *Helpers) build(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.built == nil {
		h.built = map[string]error{}
	}
	if err, ok := h.built[name]; ok {
		return err
	}
	if name == "goresty" {
		if _, err := os.Stat(filepath.Join(h.BinDir, name)); err == nil {
			h.built[name] = nil
			return nil
		}
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(h.BinDir, name), "./cmd/"+name)
	cmd.Dir = h.ModuleRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, strings.TrimSpace(string(out)))
	}
	h.built[name] = err
	return err
}

package httpserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// writePID writes the pid file without ever following a symlink: the pid
// goes to a new file (O_CREAT|O_EXCL|O_NOFOLLOW, a random name) in the same
// directory, which is then renamed over path. A symlink planted at path
// is replaced, never written through, so a root goresty cannot be made to
// overwrite another file; readers see the old or the new file, never a
// partly written one. The default location's directory (PREFIX/logs) is
// created when missing, as nginx's installation does.
func writePID(cfg *confparse.Config) error {
	path := cfg.Main.PID
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if path == cfg.Prefix+"logs/nginx.pid" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("mkdir() \"%s\" failed (%s)", dir, errlog.ErrnoText(unwrapPath(err)))
		}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+"."+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("open() \"%s\" failed (%s)", path, errlog.ErrnoText(unwrapPath(err)))
	}
	_, err = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write() to \"%s\" failed (%s)", path, errlog.ErrnoText(unwrapPath(err)))
	}
	return nil
}

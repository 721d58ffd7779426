package httpserver

import (
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// Started as root, goresty does what nginx's master does as root (read
// the configuration, keys and certificates, open logs, bind listeners,
// run init_by_lua*, write the pid file), then switches the whole process
// to the `user` (default nobody) before any other Lua runs:
// supplementary groups, gid, then uid (Go applies each to every thread).
// Real and effective uid become the user's; the saved uid stays 0, so
// that what nginx's master does as root later (re-read everything on HUP,
// reopen logs on USR1, remove the pid file at exit) is done by asRoot on
// a thread of its own. Lua has no way to change its credentials (no FFI,
// no C modules) and a program it runs (io.popen, os.execute) loses the
// saved uid at execve.
var keptRoot atomic.Bool

// dropPrivileges switches to cfg's user when running as root.
func dropPrivileges(cfg *confparse.Config, log *errlog.Logger) error {
	if keptRoot.Load() {
		return nil // already dropped (a reload)
	}
	if os.Geteuid() != 0 {
		if cfg.Main.User != "" {
			log.Log(errlog.Warn, `the "user" directive makes sense only if the master process runs with super-user privileges, ignored`)
		}
		return nil
	}
	u, err := lookupUser(cfg)
	if err != nil {
		return err
	}
	name := u.Username
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if cfg.Main.Group != "" {
		g, err := user.LookupGroup(cfg.Main.Group)
		if err != nil {
			return fmt.Errorf(`getgrnam("%s") failed`, cfg.Main.Group)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	if uid == 0 {
		return nil // user root: nothing to drop
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != gid {
				groups = append(groups, g)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf(`initgroups(%s, %d) failed (%s)`, name, gid, errlog.ErrnoText(err))
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf(`setgid(%d) failed (%s)`, gid, errlog.ErrnoText(err))
	}
	if err := syscall.Setresuid(uid, uid, 0); err != nil {
		return fmt.Errorf(`setuid(%d) failed (%s)`, uid, errlog.ErrnoText(err))
	}
	keptRoot.Store(true)
	return nil
}

// lookupUser finds the user Lua will run as when started as root (nil
// otherwise): -t checks it too, as nginx's does.
func lookupUser(cfg *confparse.Config) (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := cfg.Main.User
	if name == "" {
		name = "nobody"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf(`getpwnam("%s") failed`, name)
	}
	return u, nil
}

// asRoot runs fn with root's effective uid when privileges were dropped:
// on a goroutine locked to its own OS thread whose credentials alone are
// raised (a raw setresuid changes only the calling thread), and which
// ends with the goroutine, so no other goroutine ever runs there. Threads
// the runtime starts meanwhile are cloned by its template thread, not by
// this one, so they keep the user's credentials.
func asRoot(fn func() error) error {
	if !keptRoot.Load() {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e != 0 {
			done <- fmt.Errorf("setresuid() failed (%s)", errlog.ErrnoText(e))
			return
		}
		done <- fn()
	}()
	return <-done
}

package shdict

import (
	"fmt"
	"syscall"

	"github.com/goresty/goresty/luavm/errlog"
)

// Backable checks that a zone of size bytes could be given memory, as
// nginx finds out by mapping it: goresty's dicts grow on demand, so
// without this a size no machine has (lua_shared_dict d 1000000m) would be
// accepted and fail only when filled. It maps and unmaps size bytes of
// shared anonymous memory (no page is touched); a refusal is worded as
// nginx's, at [alert].
func Backable(size int64) error {
	if size <= 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_SHARED)
	if err != nil {
		return &errlog.Leveled{Level: errlog.Alert,
			Err: fmt.Errorf("mmap(MAP_ANON|MAP_SHARED, %d) failed (%s)", size, errlog.ErrnoText(err))}
	}
	return syscall.Munmap(b)
}

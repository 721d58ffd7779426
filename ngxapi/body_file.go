// Request bodies buffered to a file, as nginx's client_body_buffer_size,
// client_body_in_file_only and client_body_temp_path.

package ngxapi

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/goresty/goresty/luavm/errlog"
)

// BodyBuffering is where ngx.req.read_body keeps a body: in memory up to
// BufferSize (get_body_data), else in a file under TempPath
// (get_body_file; get_body_data is nil then), always in a file with
// InFileOnly "on" or "clean". The file is removed after the request in
// both cases, as ngx_lua's read_body asks nginx for a clean file.
type BodyBuffering struct {
	BufferSize int64
	InFileOnly string // "off", "on", "clean"
	TempPath   string
	TempLevels []int
}

// tempNumber names temporary files, as nginx's ngx_temp_number: a random
// start, then one up per file.
var tempNumber atomic.Uint32

func init() { tempNumber.Store(rand.Uint32() % 1000000000) }

// tempFileName is NNNNNNNNNN under dir, in the level directories nginx
// makes of its last digits (levels 1 2: dir/9/87/0000006789).
func tempFileName(dir string, levels []int, n uint32) string {
	name := fmt.Sprintf("%010d", n)
	p, end := dir, len(name)
	for _, l := range levels {
		p = filepath.Join(p, name[end-l:end])
		end -= l
	}
	return filepath.Join(p, name)
}

// storeBody keeps a body just read (off the worker, while the reading
// thread is parked): in c.Body, or in a new temporary file (c.BodyFile),
// as nginx buffers one past client_body_buffer_size.
func (c *HTTPCtx) storeBody(b []byte) error {
	bb := c.BodyBuf
	inFile := bb.InFileOnly == "on" || bb.InFileOnly == "clean"
	if !inFile && (bb.BufferSize <= 0 || int64(len(b)) <= bb.BufferSize) || bb.TempPath == "" {
		c.Body = b
		return nil
	}
	for {
		name := tempFileName(bb.TempPath, bb.TempLevels, tempNumber.Add(1))
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
			return err
		}
		c.BodyFile = name
		if !inFile { // nginx says nothing when it was asked for a file
			log := c.Log
			if log == nil {
				log = c.Worker.Log
			}
			log.LogConn(errlog.Warn, c.Conn, "a client request body is buffered to a temporary file "+name)
		}
		return nil
	}
}

// RemoveBodyFile removes the request's body file once the request is over.
func (c *HTTPCtx) RemoveBodyFile() {
	if c.BodyFile != "" {
		os.Remove(c.BodyFile)
	}
}

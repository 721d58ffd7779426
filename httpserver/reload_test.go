package httpserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// Generations hand the same sockets over while clients keep connecting:
// no request may fail, and each answer comes from some generation.
func TestReloadUnderLoad(t *testing.T) {
	prefix := t.TempDir() + "/"
	for _, d := range []string{"conf", "logs", "html"} {
		os.MkdirAll(prefix+d, 0o755)
	}
	port := freePort(t)
	write := func(gen int) *confparse.Config {
		conf := fmt.Sprintf(`daemon off;
error_log logs/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%d;
        location / { content_by_lua_block { ngx.sleep(0.01) ngx.print("gen%d") } }
    }
}
`, port, gen)
		os.WriteFile(prefix+"conf/nginx.conf", []byte(conf), 0o644)
		cfg, err := confparse.Load(confparse.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	log, _ := errlog.New([]errlog.Target{{Path: prefix + "logs/error.log", Level: errlog.Error}})
	defer log.Close()
	socks := map[string]*socket{}
	cur, err := build(write(0), log, socks)
	if err != nil {
		t.Fatal(err)
	}
	cur.start()

	var failed, done atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: i%2 == 0}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
				if err != nil {
					failed.Add(1)
					t.Log(i, err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "gen") {
					failed.Add(1)
					t.Logf("%d %q", resp.StatusCode, b)
				}
				done.Add(1)
			}
		}()
	}
	var olds sync.WaitGroup
	for gen := 1; gen <= 5; gen++ {
		time.Sleep(30 * time.Millisecond)
		ng, err := build(write(gen), log, socks)
		if err != nil {
			t.Fatal(err)
		}
		ng.start()
		old := cur
		cur = ng
		old.detach()
		closeSockets(socks, ng)
		olds.Add(1)
		go func() { defer olds.Done(); old.shutdown(context.Background()) }()
	}
	time.Sleep(30 * time.Millisecond)
	close(stop)
	wg.Wait()
	olds.Wait()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "gen5" {
		t.Errorf("after reloads: %q", b)
	}
	cur.shutdown(context.Background())
	closeSockets(socks, nil)
	if failed.Load() != 0 || done.Load() == 0 {
		t.Errorf("%d failed of %d", failed.Load(), done.Load())
	}
}

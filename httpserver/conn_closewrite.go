package httpserver

import (
	"errors"
	"net"
)

// CloseWrite half-closes a plain TCP connection: ngx.req.socket(true)'s
// connection ends with nginx's lingering close (ngxapi's lingerConn), a FIN
// and then reading what the client still sends, not a reset.
func (c *quietConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return &net.OpError{Op: "close", Net: "tcp", Err: errors.ErrUnsupported}
}

package httpserver

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"golang.org/x/net/http2"
)

// FuzzHeadersPayload: a HEADERS frame's payload parses as x/net/http2's
// Framer parses it (the fragment, the priority, the error and its kind).
func FuzzHeadersPayload(f *testing.F) {
	f.Add(uint8(http2.FlagHeadersEndHeaders), uint32(1), []byte("\x82\x84\x87"))
	f.Add(uint8(http2.FlagHeadersPadded|http2.FlagHeadersPriority), uint32(3), []byte("\x02\x80\x00\x00\x01\x10\x82\x00\x00"))
	f.Add(uint8(http2.FlagHeadersPadded), uint32(5), []byte("\x05\x82"))
	f.Add(uint8(http2.FlagHeadersPriority), uint32(0), []byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, flags uint8, id uint32, p []byte) {
		if len(p) > 4096 {
			return
		}
		var wire bytes.Buffer
		wire.Write(appendFrame(nil, http2.FrameHeaders, http2.Flags(flags), id, p...))
		fr := http2.NewFramer(nil, &wire)
		fh, err := fr.ReadFrameHeader()
		if err != nil {
			t.Fatal(err)
		}
		xf, xerr := fr.ReadFrameForHeader(fh)
		frag, prio, dep, err := parseHeadersPayload(fh, p)
		var xse, se http2.StreamError
		var xce, ce http2.ConnectionError
		switch {
		case xerr == nil && err == nil:
			hf := xf.(*http2.HeadersFrame)
			if !bytes.Equal(frag, hf.HeaderBlockFragment()) || prio != hf.HasPriority() || dep != hf.Priority.StreamDep {
				t.Fatalf("parsed %q %v %d, x/net %q %v %d", frag, prio, dep, hf.HeaderBlockFragment(), hf.HasPriority(), hf.Priority.StreamDep)
			}
		case errors.As(xerr, &xse):
			if !errors.As(err, &se) || se.StreamID != xse.StreamID || se.Code != xse.Code {
				t.Fatalf("error %v, x/net %v", err, xerr)
			}
		case errors.As(xerr, &xce):
			if !errors.As(err, &ce) || ce != xce {
				t.Fatalf("error %v, x/net %v", err, xerr)
			}
		case xerr == nil || !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(xerr, io.ErrUnexpectedEOF):
			t.Fatalf("error %v, x/net %v", err, xerr)
		}
	})
}

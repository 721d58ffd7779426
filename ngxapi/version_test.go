package ngxapi

import (
	"fmt"
	"testing"
)

// The numeric versions are the release strings, as nginx and
// lua-nginx-module compute them.
func TestVersionNumbers(t *testing.T) {
	var a, b, c int
	fmt.Sscanf(NginxRelease, "%d.%d.%d", &a, &b, &c)
	if got := a*1000000 + b*1000 + c; got != NginxVersion {
		t.Errorf("NginxVersion %d, release %s", NginxVersion, NginxRelease)
	}
	fmt.Sscanf(NgxLuaRelease, "%d.%d.%d", &a, &b, &c)
	if got := a*1000000 + b*1000 + c; got != NgxLuaVersion {
		t.Errorf("NgxLuaVersion %d, release %s", NgxLuaVersion, NgxLuaRelease)
	}
}

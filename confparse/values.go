package confparse

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseSize parses nginx sizes: "1024", "8k", "10m", "1g" (case-insensitive units).
func parseSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale = 1 << 10
	case 'm', 'M':
		scale = 1 << 20
	case 'g', 'G':
		scale = 1 << 30
	}
	if scale != 1 {
		s = s[:len(s)-1]
	}
	n, ok := parseUint(s)
	if !ok || n > (1<<62)/scale {
		return 0, false
	}
	return n * scale, true
}

func parseUint(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// parseTime parses nginx times: "30", "5s", "1h", "68000ms", "1h 30m",
// "1d12h". A bare number means seconds. When sec is true (nginx's
// second-granularity slots) "ms" is not allowed.
func parseTime(s string, sec bool) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, false
		}
		n, ok := parseUint(s[i:j])
		if !ok {
			return 0, false
		}
		var unit time.Duration
		k := j
		switch {
		case k == len(s) || s[k] == ' ':
			unit = time.Second
		case strings.HasPrefix(s[k:], "ms"):
			if sec {
				return 0, false
			}
			unit, k = time.Millisecond, k+1
		case s[k] == 's':
			unit = time.Second
		case s[k] == 'm':
			unit = time.Minute
		case s[k] == 'h':
			unit = time.Hour
		case s[k] == 'd':
			unit = 24 * time.Hour
		case s[k] == 'w':
			unit = 7 * 24 * time.Hour
		case s[k] == 'M':
			unit = 30 * 24 * time.Hour
		case s[k] == 'y':
			unit = 365 * 24 * time.Hour
		default:
			return 0, false
		}
		if k < len(s) && s[k] != ' ' {
			k++
		}
		if n > int64((1<<62)/unit) {
			return 0, false
		}
		total += time.Duration(n) * unit
		if total < 0 {
			return 0, false
		}
		i = k
	}
	return total, true
}

// parseInt parses a non-negative decimal number as nginx's ngx_atoi does.
func parseInt(s string) (int, bool) {
	n, ok := parseUint(s)
	if !ok || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// parseListen parses the address argument of "listen".
func parseListen(arg string) (network, addr, errMsg string) {
	if rest, ok := strings.CutPrefix(arg, "unix:"); ok {
		if rest == "" {
			return "", "", "no path in the unix domain socket"
		}
		return "unix", rest, ""
	}
	host, port := "", "80"
	switch {
	case strings.HasPrefix(arg, "["):
		end := strings.IndexByte(arg, ']')
		if end < 0 {
			return "", "", `invalid host in "` + arg + `" of the "listen" directive`
		}
		host = arg[1:end]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", "", `host not found in "` + arg + `" of the "listen" directive`
		}
		rest := arg[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", `invalid host in "` + arg + `" of the "listen" directive`
			}
			port = rest[1:]
		}
	case isDigits(arg):
		port = arg
	default:
		if i := strings.LastIndexByte(arg, ':'); i >= 0 {
			host, port = arg[:i], arg[i+1:]
		} else {
			host = arg
		}
	}
	if p, ok := parseInt(port); !ok || p < 1 || p > 65535 {
		return "", "", `invalid port in "` + arg + `" of the "listen" directive`
	}
	if host == "*" {
		host = ""
	}
	if host != "" && !validHost(host) {
		return "", "", `host not found in "` + arg + `" of the "listen" directive`
	}
	p, _ := parseInt(port)
	port = strconv.Itoa(p)
	if strings.Contains(host, ":") {
		return "tcp", "[" + host + "]:" + port, ""
	}
	return "tcp", host + ":" + port, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

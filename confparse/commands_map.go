package confparse

import (
	"regexp"
	"strings"
)

// Map is a "map SOURCE $variable { ... }" block: the variable's value is
// looked up from SOURCE (which may hold $variables) when first used.
type Map struct {
	Source  string
	Var     string            // without "$"
	Default string            // "" when not given
	Exact   map[string]string // lower-case source -> value (strings match ignoring case)
	Regexes []MapRegex        // in order; the first that matches wins
	Pos     Pos
	// hostnames: the source is a host name (a trailing dot ignored) and
	// keys written after it may be wildcards: "*.example.com" and
	// ".example.com" (WildHead, by ".example.com"; the latter also matches
	// example.com), "www.example.*" (WildTail, by "www.example."); the
	// longest match wins, after the exact names and before the regexes.
	Hostnames          bool
	WildHead, WildTail map[string]string
}

// MapRegex is a "~re value" or "~*re value" line of a map.
type MapRegex struct {
	Re    *regexp.Regexp
	Value string
}

var mapCommands = []command{
	{name: "map", syntax: "string $variable { default value; [hostnames;] source value; ~regex value; ... }  (hostnames: *.name, .name, name.* keys)", ctx: ctxHTTP, min: 2, max: 2, block: true, set: setMap},
}

func setMap(l *loader, d *directive) error {
	name := d.args[1]
	if len(name) < 2 || name[0] != '$' {
		return d.errf(`invalid variable name "%s"`, name)
	}
	m := &Map{Source: d.args[0], Var: name[1:], Exact: map[string]string{}, Pos: d.pos}
	seen := map[string]bool{}
	for _, st := range d.block {
		if st.Err != nil {
			return l.syntaxErr(*st.Err, st.Pos)
		}
		if st.Term.Err != nil {
			return l.syntaxErr(*st.Term.Err, st.Term.Pos)
		}
		if !st.Term.Semi {
			return l.syntaxErr(`unexpected "{"`, st.Term.Pos)
		}
		key := st.Name.value()
		args := make([]string, 0, len(st.Args))
		for _, a := range st.Args {
			args = append(args, a.value())
		}
		pos := l.mkPos(st.Term.Pos)
		fail := func(msg string) error { return &Error{Msg: msg, Pos: pos} }
		if len(args) == 0 && key == "volatile" {
			continue
		}
		if len(args) == 0 && key == "hostnames" {
			m.Hostnames = true
			continue
		}
		if len(args) != 1 {
			return fail("invalid number of the map parameters")
		}
		val := args[0]
		switch {
		case key == "include":
			return fail(`"include" inside "map" is not supported by goresty`)
		case key == "default":
			if seen["\x00default"] {
				return fail(`duplicate default map parameter`)
			}
			seen["\x00default"] = true
			m.Default = val
		case strings.HasPrefix(key, "~"):
			expr := key[1:]
			if strings.HasPrefix(expr, "*") {
				expr = "(?i)" + expr[1:]
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return fail(`invalid regular expression "` + key + `": ` + strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			m.Regexes = append(m.Regexes, MapRegex{Re: re, Value: val})
		case m.Hostnames && strings.ContainsRune(key, '*') || m.Hostnames && strings.HasPrefix(key, "."):
			if err := m.addWildcard(strings.ToLower(key), val); err != "" {
				return fail(err)
			}
		default:
			k := strings.ToLower(strings.TrimPrefix(key, "\\"))
			if _, dup := m.Exact[k]; dup {
				return fail(`conflicting parameter "` + key + `"`)
			}
			m.Exact[k] = val
		}
	}
	d.c.http.Maps = append(d.c.http.Maps, m)
	return nil
}

// addWildcard adds a hostnames key with a wildcard, as nginx's
// ngx_hash_add_key: "*.name", ".name" (also the name itself) or "name.*";
// it returns nginx's message for a key it refuses.
func (m *Map) addWildcard(key, val string) string {
	add := func(tbl *map[string]string, k string) string {
		if *tbl == nil {
			*tbl = map[string]string{}
		}
		if _, dup := (*tbl)[k]; dup {
			return `conflicting parameter "` + key + `"`
		}
		(*tbl)[k] = val
		return ""
	}
	invalid := `invalid hostname or wildcard "` + key + `"`
	switch {
	case strings.Count(key, "*") > 1:
		return invalid
	case strings.HasPrefix(key, "*.") && len(key) > 2:
		return add(&m.WildHead, key[1:])
	case strings.HasPrefix(key, ".") && len(key) > 1 && !strings.Contains(key, "*"):
		if _, dup := m.Exact[key[1:]]; dup {
			return `conflicting parameter "` + key + `"`
		}
		m.Exact[key[1:]] = val
		return add(&m.WildHead, key)
	case strings.HasSuffix(key, ".*") && len(key) > 2:
		return add(&m.WildTail, key[:len(key)-1])
	}
	return invalid
}

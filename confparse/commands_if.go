package confparse

import (
	"regexp"
	"strings"
)

// The rewrite module's "if" and "break". An "if" in a location reads its
// block as nginx's "if in location" context: a configuration of its own,
// merged from the location's (IfBlocks); at server level only the
// rewrite-module directives are allowed inside.
var ifCommands = []command{
	{name: "rewrite_log", syntax: "on | off  (default off; rewrite and if matches at notice)", ctx: ctxHSL | ctxIf, min: 1, max: 1, once: true, set: onOff(func(d *directive, v bool) { d.c.settings().RewriteLog = v })},
	{name: "uninitialized_variable_warn", syntax: "on | off  (accepted; goresty does not warn)", ctx: ctxHSL | ctxIf, min: 1, max: 1, once: true, set: onOff(nil)},
	{name: "if", syntax: "(condition) { ... }  (conditions: $var; $var = | != string; $var ~ | ~* | !~ | !~* regex (RE2 syntax); -f | !-f | -d | !-d | -e | !-e | -x | !-x path)", ctx: ctxSL, min: 1, max: many, block: true, set: setIf},
	{name: "break", syntax: "(ends the rewrite-module directives of the level)", ctx: ctxSL | ctxIf, min: 0, max: 0, set: func(l *loader, d *directive) error {
		steps := d.c.rewrite()
		*steps = append(*steps, RewriteStep{Break: true, Pos: d.pos})
		return nil
	}},
}

func setIf(l *loader, d *directive) error {
	cond, err := parseCondition(d)
	if err != nil {
		return err
	}
	ifb := &If{Cond: cond}
	steps := d.c.rewrite()
	*steps = append(*steps, RewriteStep{If: ifb, Pos: d.pos})
	c := &dctx{kind: ctxSIf, id: ifb, http: d.c.http, srv: d.c.srv, ifb: ifb}
	if d.c.kind == ctxLocation {
		p := d.c.loc
		// the location's match, so that alias and captures work as there
		loc := &LocationConf{Pos: d.pos, Modifier: p.Modifier, Path: p.Path}
		p.IfBlocks = append(p.IfBlocks, loc)
		ifb.Loc = loc
		c.kind, c.id, c.loc = ctxLIf, loc, loc
	}
	return l.walk(d.block, c)
}

// parseCondition reads an "if" condition from the directive's arguments
// the way nginx's ngx_http_rewrite_if_condition does, with its messages:
// the parentheses may be words of their own or stuck to the first and
// last arguments.
func parseCondition(d *directive) (Condition, error) {
	var c Condition
	args := append([]string(nil), d.args...)
	invalid := func(s string) (Condition, error) { return c, d.errf(`invalid condition "%s"`, s) }
	if !strings.HasPrefix(args[0], "(") {
		return invalid(args[0])
	}
	cur, last := 0, len(args)-1
	if args[0] == "(" {
		cur = 1
	} else {
		args[0] = args[0][1:]
	}
	if !strings.HasSuffix(args[last], ")") {
		return invalid(args[last])
	}
	if args[last] == ")" {
		last--
	} else {
		args[last] = args[last][:len(args[last])-1]
	}
	if cur > last {
		return invalid(")")
	}
	p := args[cur]
	switch {
	case len(p) > 1 && p[0] == '$':
		if cur != last && cur+2 != last {
			return invalid(p)
		}
		c.Var = p
		if cur == last {
			return c, nil
		}
		op := args[cur+1]
		switch op {
		case "=", "!=":
			c.Op, c.Value = op, args[last]
			return c, nil
		case "~", "~*", "!~", "!~*":
			expr := args[last]
			if strings.HasSuffix(op, "*") {
				expr = "(?i)" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return c, d.errf(`invalid regular expression "%s": %s`, args[last], strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			c.Op, c.Re, c.Value = op, re, args[last]
			return c, nil
		}
		return c, d.errf(`unexpected "%s" in condition`, op)
	case (len(p) == 2 && p[0] == '-') || (len(p) == 3 && p[:2] == "!-"):
		if cur+1 != last {
			return invalid(p)
		}
		switch p[len(p)-1] {
		case 'f', 'd', 'e', 'x':
			c.Op, c.Value = p, args[last]
			return c, nil
		}
	}
	return invalid(p)
}

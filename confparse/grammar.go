package confparse

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar of an nginx configuration file. The lexer has
// already checked the structure, so the grammar only shapes the tree; a
// syntax error arrives as an Error token where it happened.
//
//	file  = stmt* EOF
//	stmt  = Error | arg arg* term
//	term  = ";" | Lua | "{" stmt* "}" | Error
//	arg   = Word | String

type astFile struct {
	Stmts []*astStmt `parser:"@@*"`
}

type astStmt struct {
	Pos  lexer.Position
	Err  *string   `parser:"(  @Error"`
	Name *astArg   `parser:" | @@"`
	Args []*astArg `parser:"  @@*"`
	Term *astTerm  `parser:"  @@ )"`
}

type astArg struct {
	Pos    lexer.Position
	Word   *string `parser:"(  @Word"`
	String *string `parser:" | @String )"`
}

func (a *astArg) value() string {
	if a.Word != nil {
		return *a.Word
	}
	return *a.String
}

type astTerm struct {
	Pos   lexer.Position
	Semi  bool      `parser:"(  @Semi"`
	Lua   *string   `parser:" | @Lua"`
	Block *astBlock `parser:" | @@"`
	Err   *string   `parser:" | @Error )"`
}

type astBlock struct {
	Pos   lexer.Position
	Open  bool       `parser:"@LBrace"`
	Stmts []*astStmt `parser:"@@*"`
	Close *astClose  `parser:"@@?"`
}

// astClose is a block's "}": nginx reports what it checks once a block is
// read (an empty upstream) at its line.
type astClose struct {
	Pos   lexer.Position
	Brace bool `parser:"@RBrace"`
}

var (
	fileParser    = participle.MustBuild[astFile](participle.Lexer(lexDef{}), participle.UseLookahead(2))
	cmdlineParser = participle.MustBuild[astFile](participle.Lexer(lexDef{cmdline: true}), participle.UseLookahead(2))
)

// parseBytes turns a file's text into its statement tree.
func parseBytes(name string, b []byte, cmdline bool) (*astFile, error) {
	p := fileParser
	if cmdline {
		p = cmdlineParser
	}
	return p.ParseBytes(name, b)
}

// Package confparse reads nginx-syntax configuration files into the typed
// model of model.go.
//
// The lexer (lexer.go) follows nginx's tokenizer: words, quoted strings
// with nginx's escapes, $variables, # comments, CRLF, and the raw bodies of
// *_by_lua_block directives, captured verbatim (braces inside Lua strings,
// comments and long brackets do not count). It reports nginx's syntax errors
// as Error tokens in place, so the participle grammar (grammar.go) shapes a
// tree and the loader (load.go) handles directives in file order, reporting
// the first error exactly where nginx would.
//
// Each directive is declared once in the table of commands.go: its
// contexts, arity, whether it takes a block, and its setter. After reading,
// merge.go fills defaults and merges inheritable settings http -> server ->
// location, so readers of the model never see unset values.
//
// Errors are *Error values whose Error() is nginx's wording without the
// "[emerg]" prefix, e.g.
//
//	"ssl_session_store_by_lua_block" directive is not allowed here in /abs/conf/nginx.conf:28
package confparse

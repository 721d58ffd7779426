package confparse

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's directive reference from the directive table")

const (
	refBegin = "<!-- directives:begin (generated: go test ./confparse -run README -update-readme) -->\n"
	refEnd   = "<!-- directives:end -->"
)

// directiveReference renders the directive table as README's reference, so
// the documentation is derived from the one place that decides.
func directiveReference() string {
	var b strings.Builder
	b.WriteString("| directive | contexts | syntax |\n|---|---|---|\n")
	for _, d := range Directives() {
		syntax := strings.ReplaceAll(d.Syntax, "|", `\|`)
		b.WriteString("| `" + d.Name + "` | " + strings.Join(d.Contexts, ", ") + " | " + syntax + " |\n")
	}
	return b.String()
}

func TestREADMEDirectiveReference(t *testing.T) {
	const path = "../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, refBegin)
	end := strings.Index(text, refEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the %q ... %q markers", strings.TrimSpace(refBegin), refEnd)
	}
	want := directiveReference()
	got := text[start+len(refBegin) : end]
	if got == want {
		return
	}
	if !*updateReadme {
		t.Fatal("README.md's directive reference is out of date with the directive table; run: go test ./confparse -run README -update-readme")
	}
	text = text[:start+len(refBegin)] + want + text[end:]
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

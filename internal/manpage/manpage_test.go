package manpage

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"--cacert FILE":     `\-\-cacert FILE`,
		`C:\path`:           `C:\epath`,
		".hidden is a file": `\&.hidden is a file`,
		"'quoted' at start": `\&'quoted' at start`,
		"TLS 1.0–1.2, …":    `TLS 1.0\[u2013]1.2, \[u2026]`,
		"plain text, 100 %": "plain text, 100 %",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitSynopsis(t *testing.T) {
	for in, want := range map[string][2]string{
		"tlstrace scan TARGET [flags]":        {"tlstrace scan", "TARGET [flags]"},
		"tlstrace cert new --cn NAME":         {"tlstrace cert new", "--cn NAME"},
		"tlstrace [flags]":                    {"tlstrace", "[flags]"},
		"tlstrace verify CERT|URL [flags]":    {"tlstrace verify", "CERT|URL [flags]"},
		"tlstrace completion bash":            {"tlstrace completion bash", ""},
		"tlstrace serve (--cert CHAIN | --x)": {"tlstrace serve", "(--cert CHAIN | --x)"},
	} {
		cmd, rest := splitSynopsis(in)
		if cmd != want[0] || rest != want[1] {
			t.Errorf("splitSynopsis(%q) = %q, %q; want %q, %q", in, cmd, rest, want[0], want[1])
		}
	}
}

// TestGroffReads renders a page with groff, the formatter man runs, and
// checks that groff warns of nothing and shows what the page says: the
// options as they are typed (hyphen-minus, not hyphens), a block kept
// line for line, paragraphs filled, text that looks like a request.
func TestGroffReads(t *testing.T) {
	tlstest.RequirePeer(t, "groff")
	p := Page{
		Name: "tool-sub", Section: "1", Date: "December 2026", Source: "tool 1.0", Manual: "tool manual",
		Short:    "Do one thing – well",
		Synopsis: "tool sub FILE [flags]",
		Description: "The first paragraph,\nfilled as one.\n\n  tool sub a.pem      kept as it is\n  tool sub b.pem      line for line\n\n" +
			".starts like a request, and a \\ backslash.",
		Options: []Option{
			{Long: "cacert", Arg: "FILE", Usage: "trust FILE"},
			{Short: "k", Long: "insecure", Usage: "go on"},
			{Long: "timeout", Arg: "seconds", Default: "5s", Usage: "time allowed"},
		},
		Inherited: []Option{{Long: "color", Arg: "string", Default: "auto", Usage: "colour: auto, always or never"}},
		Example:   "  tool sub x.pem --cacert ca.pem",
		SeeAlso:   []string{"tool(1)"},
	}
	var page bytes.Buffer
	if err := Write(&page, p); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-P", "-cbou", "-rLL=100n")
	cmd.Stdin = bytes.NewReader(page.Bytes())
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil || errs.Len() > 0 {
		t.Fatalf("groff: %v\n%s\npage:\n%s", err, errs.String(), page.String())
	}
	text := out.String()
	for _, want := range []string{
		"TOOL-SUB(1)",
		"tool-sub - Do one thing – well",
		"tool sub FILE [flags]",
		"The first paragraph, filled as one.",
		"tool sub a.pem      kept as it is\n",
		"tool sub b.pem      line for line\n",
		".starts like a request, and a \\ backslash.",
		"--cacert FILE\n",
		"-k, --insecure\n",
		"time allowed (default: 5s)",
		"OPTIONS INHERITED FROM PARENT COMMANDS",
		"--color string",
		"tool sub x.pem --cacert ca.pem",
		"tool(1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("groff's rendering lacks %q:\n%s", want, text)
		}
	}
	// A hyphen set by groff (U+2010) in an option would not paste into a
	// shell.
	if strings.ContainsRune(text, '‐') {
		t.Errorf("groff set a hyphen instead of a hyphen-minus:\n%s", text)
	}
}

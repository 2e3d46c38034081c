// Package manpage writes manual pages in the man(7) macros of roff, from
// a description of a command that says nothing of where it came from (the
// command line's definitions, in cmd/tlstrace).
//
// It replaces a generator that went through Markdown: that one pulled in
// a Markdown parser, a Markdown-to-roff converter and a YAML library, whose
// package initialisers every run of the binary paid for (some 3 ms of a
// 20 ms start), to write pages the binary writes only on request.
package manpage

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Option is one option of a command.
type Option struct {
	// Short is the one-letter name, without its dash ("" for none);
	// Long the long name, without its dashes.
	Short, Long string
	// Arg names the option's value ("FILE"); "" for a switch.
	Arg string
	// Default is the value the command takes without the option, ""
	// when that says nothing (off, empty, zero).
	Default string
	Usage   string
}

// Page is one manual page.
type Page struct {
	// Name is the page's name ("tlstrace-scan"), Section its section
	// ("1").
	Name, Section string
	// Date, Source and Manual fill the page's header and footer: the
	// date of the page, what it documents with its version, and the
	// manual's title.
	Date, Source, Manual string
	// Short is the one-line summary, after the name.
	Short string
	// Synopsis is the command line ("tlstrace scan TARGET [flags]").
	Synopsis string
	// Description is text in paragraphs separated by blank lines; the
	// lines of a block indented by spaces are kept as they are (a table,
	// a command line).
	Description string
	// Options are the command's own options, Inherited those it takes
	// from its parents.
	Options, Inherited []Option
	// Example is command lines shown as they are.
	Example string
	// SeeAlso names related pages, each "name(section)".
	SeeAlso []string
}

// Write writes p as roff to w.
func Write(w io.Writer, p Page) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, ".TH %s %s %s %s %s\n", quote(strings.ToUpper(p.Name)), quote(p.Section), quote(p.Date), quote(p.Source), quote(p.Manual))
	// Hyphenation would break option names across lines.
	b.WriteString(".nh\n.ad l\n")
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(b, "%s \\- %s\n", escape(p.Name), escape(p.Short))
	b.WriteString(".SH SYNOPSIS\n")
	cmd, rest := splitSynopsis(p.Synopsis)
	fmt.Fprintf(b, "\\fB%s\\fR", escape(cmd))
	if rest != "" {
		fmt.Fprintf(b, " %s", escape(rest))
	}
	b.WriteString("\n")
	if p.Description != "" {
		b.WriteString(".SH DESCRIPTION\n")
		writeText(b, p.Description)
	}
	writeOptions(b, "OPTIONS", p.Options)
	writeOptions(b, "OPTIONS INHERITED FROM PARENT COMMANDS", p.Inherited)
	if ex := strings.Trim(p.Example, "\n"); ex != "" {
		b.WriteString(".SH EXAMPLES\n.nf\n.RS 2\n")
		for _, line := range strings.Split(ex, "\n") {
			b.WriteString(escape(strings.TrimPrefix(line, "  ")) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	if len(p.SeeAlso) > 0 {
		b.WriteString(".SH SEE ALSO\n")
		refs := make([]string, len(p.SeeAlso))
		for i, s := range p.SeeAlso {
			name, section, _ := strings.Cut(s, "(")
			refs[i] = "\\fB" + escape(name) + "\\fR(" + escape(section)
		}
		b.WriteString(strings.Join(refs, ",\n") + "\n")
	}
	return b.Flush()
}

// splitSynopsis cuts a command line into the command's words and its
// arguments: the first word in capitals, in brackets or parentheses, or
// an option, starts them.
func splitSynopsis(s string) (cmd, rest string) {
	words := strings.Fields(s)
	for i, w := range words {
		if strings.ContainsAny(w[:1], "[(<-|") || w == strings.ToUpper(w) && strings.ToUpper(w) != strings.ToLower(w) {
			return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
		}
	}
	return s, ""
}

// writeText writes paragraphs: lines joined into filled text, a blank
// line a new paragraph, and a block of indented lines kept as it is.
func writeText(b *bufio.Writer, text string) {
	lines := strings.Split(strings.Trim(text, "\n"), "\n")
	para := true // at the start of a paragraph
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			para = true
		case strings.HasPrefix(line, " "):
			b.WriteString(".PP\n.nf\n.RS 2\n")
			for ; i < len(lines) && strings.HasPrefix(lines[i], " "); i++ {
				b.WriteString(escape(strings.TrimPrefix(lines[i], "  ")) + "\n")
			}
			i--
			b.WriteString(".RE\n.fi\n")
			para = true
		default:
			if para {
				b.WriteString(".PP\n")
				para = false
			}
			b.WriteString(escape(line) + "\n")
		}
	}
}

func writeOptions(b *bufio.Writer, title string, opts []Option) {
	if len(opts) == 0 {
		return
	}
	b.WriteString(".SH " + title + "\n")
	for _, o := range opts {
		b.WriteString(".TP\n")
		var names []string
		if o.Short != "" {
			names = append(names, "\\fB\\-"+escape(o.Short)+"\\fR")
		}
		if o.Long != "" {
			names = append(names, "\\fB\\-\\-"+escape(o.Long)+"\\fR")
		}
		head := strings.Join(names, ", ")
		if o.Arg != "" {
			head += " \\fI" + escape(o.Arg) + "\\fR"
		}
		b.WriteString(head + "\n")
		usage := o.Usage
		if o.Default != "" {
			usage += " (default: " + o.Default + ")"
		}
		b.WriteString(escape(usage) + "\n")
	}
}

// escape makes text roff text: a backslash and a hyphen-minus are printed
// as themselves (a plain "-" may be set as a hyphen, which a reader who
// copies an option from the page does not want), a character beyond ASCII
// is named by its code point (roff input is ASCII unless a preprocessor
// converts it), and a line cannot start a request.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	s = b.String()
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// quote is an argument of a request: in double quotes, its own double
// quotes doubled, as groff reads them.
func quote(s string) string {
	return `"` + strings.ReplaceAll(escape(s), `"`, `""`) + `"`
}

package resolvers

import (
	"html"
	"strings"
)

// markdown builds the Markdown type's text and its HTML side by side from the few
// constructs the API writes (links, inline code, fenced blocks), so the HTML needs no
// Markdown parser and every piece of user data is escaped in both.
type markdown struct {
	text, html strings.Builder
}

// plain adds text.
func (m *markdown) plain(s string) *markdown {
	m.text.WriteString(escapeMarkdown(s))
	m.html.WriteString(html.EscapeString(s))
	return m
}

// link adds a link with label s to url.
func (m *markdown) link(s, url string) *markdown {
	m.text.WriteString("[" + escapeMarkdown(s) + "](" + strings.ReplaceAll(url, ")", "%29") + ")")
	m.html.WriteString(`<a href="` + html.EscapeString(url) + `">` + html.EscapeString(s) + "</a>")
	return m
}

// code adds s as inline code.
func (m *markdown) code(s string) *markdown {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	m.text.WriteString(fence + s + fence)
	m.html.WriteString("<code>" + html.EscapeString(s) + "</code>")
	return m
}

// block adds body as a fenced block of language lang; body's first line is the line
// after the opening fence.
func (m *markdown) block(lang, body string) *markdown {
	fence := "```"
	for strings.Contains(body, fence) {
		fence += "`"
	}
	m.text.WriteString(fence + lang + "\n" + body + "\n" + fence)
	class := ""
	if lang != "" {
		class = ` class="language-` + html.EscapeString(lang) + `"`
	}
	m.html.WriteString("<pre><code" + class + ">" + html.EscapeString(body) + "</code></pre>")
	return m
}

func (m *markdown) Text() string { return m.text.String() }
func (m *markdown) HTML() string { return m.html.String() }

var markdownSpecial = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, "#", `\#`)

// escapeMarkdown keeps text from being read as Markdown syntax.
func escapeMarkdown(s string) string { return markdownSpecial.Replace(s) }

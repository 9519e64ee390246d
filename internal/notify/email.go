package notify

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templateFuncs = map[string]any{
	"plural": plural,
	"indent": indent,
}

var (
	subjectTemplate = texttemplate.Must(texttemplate.New("subject.txt.tmpl").Funcs(templateFuncs).ParseFS(templateFS, "templates/subject.txt.tmpl"))
	textTemplate    = texttemplate.Must(texttemplate.New("email.txt.tmpl").Funcs(templateFuncs).ParseFS(templateFS, "templates/email.txt.tmpl"))
	htmlTemplate    = htmltemplate.Must(htmltemplate.New("email.html.tmpl").Funcs(templateFuncs).ParseFS(templateFS, "templates/email.html.tmpl"))
)

// Email is a rendered notification email.
type Email struct {
	Subject string
	Text    string
	HTML    string
	// Important asks mail clients to flag the message (critical priority).
	Important bool
}

// RenderEmail renders n's subject, text and HTML bodies.
func RenderEmail(n Notification) (Email, error) {
	return renderEmail(n, time.Now())
}

func renderEmail(n Notification, now time.Time) (Email, error) {
	if err := n.Validate(); err != nil {
		return Email{}, err
	}
	v := newView(n, now)
	var subject, text, html bytes.Buffer
	if err := subjectTemplate.Execute(&subject, v); err != nil {
		return Email{}, fmt.Errorf("rendering email subject: %w", err)
	}
	if err := textTemplate.Execute(&text, v); err != nil {
		return Email{}, fmt.Errorf("rendering email text: %w", err)
	}
	e := Email{Subject: oneLine(subject.String()), Text: text.String(), Important: n.Critical}
	data := struct {
		view
		Subject string
	}{v, e.Subject}
	if err := htmlTemplate.Execute(&html, data); err != nil {
		return Email{}, fmt.Errorf("rendering email HTML: %w", err)
	}
	e.HTML = html.String()
	return e, nil
}

// indent prefixes each line of s with four spaces, for content in the text body.
func indent(s string) string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// buildMessage assembles the MIME message: headers, and a multipart/alternative body with
// quoted-printable text and HTML parts. The same inputs give the same bytes (the boundary
// comes from the delivery ID), so a retried delivery is the same message.
func buildMessage(from, to *mail.Address, deliveryID string, date time.Time, e Email) ([]byte, error) {
	if err := checkDeliveryID(deliveryID); err != nil {
		return nil, err
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	sum := sha256.Sum256([]byte(deliveryID))
	boundary := "lookout-" + hex.EncodeToString(sum[:12])

	var buf bytes.Buffer
	header := func(name, value string) {
		buf.WriteString(foldHeader(name + ": " + value))
		buf.WriteString("\r\n")
	}
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeWords(oneLine(e.Subject), 76-len("Subject: ")))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+deliveryID+"@"+domain+">")
	header(DeliveryHeader, deliveryID)
	header("MIME-Version", "1.0")
	// Automatic mail: no out-of-office replies or bounces to auto-responders.
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	if e.Important {
		header("Importance", "high")
		header("X-Priority", "1")
	}
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	buf.WriteString("\r\n")

	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("building email: %w", err)
	}
	for _, part := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", e.Text},
		{"text/html; charset=utf-8", e.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("building email: %w", err)
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, fmt.Errorf("building email: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("building email: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("building email: %w", err)
	}
	return buf.Bytes(), nil
}

// foldHeader breaks a header line longer than 78 characters at spaces (RFC 5322 folding),
// so long subjects and encoded words stay within line limits.
func foldHeader(line string) string {
	const limit = 78
	if len(line) <= limit {
		return line
	}
	var b strings.Builder
	cur := 0
	words := strings.Split(line, " ")
	for i, w := range words {
		if i > 0 {
			if cur+1+len(w) > limit && i > 1 { // never right after the header name
				b.WriteString("\r\n ")
				cur = 1
			} else {
				b.WriteByte(' ')
				cur++
			}
		}
		b.WriteString(w)
		cur += len(w)
	}
	return b.String()
}

// encodeWords returns s as is when it is printable ASCII, else as RFC 2047 Q-encoded
// words of at most maxWord characters each. (mime.QEncoding makes 75-character words,
// too long for a "Subject: " line, which RFC 2047 limits to 76 characters.)
func encodeWords(s string, maxWord int) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	const prefix, suffix = "=?utf-8?q?", "?="
	budget := maxWord - len(prefix) - len(suffix)
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r > ' ' && r <= '~' && r != '=' && r != '?' && r != '_':
			enc = string(r)
		default:
			var b strings.Builder
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, "=%02X", c)
			}
			enc = b.String()
		}
		if cur.Len() > 0 && cur.Len()+len(enc) > budget {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 {
		words = append(words, prefix+cur.String()+suffix)
	}
	return strings.Join(words, " ")
}

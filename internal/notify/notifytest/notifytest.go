// Package notifytest gives tests a real SMTP server to send notification email to: an
// emersion/go-smtp server on 127.0.0.1 that keeps every message it accepts, and the
// notify.SMTPConfig that reaches it. Tests outside internal/notify (the API's invitation
// email) use it instead of writing one more server.
package notifytest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/lookout/lookout/internal/notify"
)

// Mail is one message as the server received it.
type Mail struct {
	From, To string // envelope sender and recipient
	Data     string // the message, headers and body
}

// Mailbox is a running SMTP server and what it received.
type Mailbox struct {
	Port  int
	mu    sync.Mutex
	mails []Mail
}

// All returns the messages received so far, one per recipient.
func (m *Mailbox) All() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.mails...)
}

// SMTPConfig is the configuration that sends to this server (plain SMTP, no auth).
func (m *Mailbox) SMTPConfig() notify.SMTPConfig {
	return notify.SMTPConfig{Host: "127.0.0.1", Port: m.Port, From: "Lookout <lookout@example.com>", TLS: notify.TLSNone, Timeout: 10 * time.Second}
}

// StartSMTP starts a server that runs until the test ends.
func StartSMTP(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.Port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close(); <-done })
	return mb
}

type session struct {
	mb   *Mailbox
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	for _, to := range s.to {
		s.mb.mails = append(s.mb.mails, Mail{From: s.from, To: to, Data: string(b)})
	}
	return nil
}
func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

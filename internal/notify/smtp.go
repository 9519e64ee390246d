package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Email errors that no retry fixes.
var (
	ErrEmailNotConfigured = errors.New("email is not configured (set SMTP_HOST and SMTP_FROM)")
	ErrInvalidRecipient   = errors.New("invalid recipient address")
	ErrInsecureSMTP       = errors.New("insecure SMTP connection")
)

// DefaultSMTPTimeout bounds one SMTP conversation when SMTPConfig.Timeout is unset.
const DefaultSMTPTimeout = 30 * time.Second

// Mailer sends email through one SMTP server. It opens a connection per message: action
// jobs send a few messages at a time, and a fresh conversation keeps failures separate.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
	now  func() time.Time
}

// NewMailer checks cfg and returns a Mailer; with cfg.Host empty it returns
// ErrEmailNotConfigured.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	if !cfg.Enabled() {
		return nil, ErrEmailNotConfigured
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("invalid SMTP_FROM: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	return &Mailer{cfg: cfg, from: from, now: time.Now}, nil
}

// SendNotification renders n and sends it to one recipient; see Send.
func (m *Mailer) SendNotification(ctx context.Context, to, deliveryID string, n Notification) error {
	e, err := renderEmail(n, m.now())
	if err != nil {
		return err
	}
	return m.Send(ctx, to, deliveryID, e)
}

// Send sends e to one recipient, so recipients never see each other's address and one
// bad address does not block the others. deliveryID (stable across retries of one
// delivery, e.g. "cm-action-42.3" for the third recipient of action job 42) becomes the
// Message-ID and the X-Lookout-Delivery header.
func (m *Mailer) Send(ctx context.Context, to, deliveryID string, e Email) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrInvalidRecipient, to, err)
	}
	msg, err := buildMessage(m.from, rcpt, deliveryID, m.now(), e)
	if err != nil {
		return err
	}
	if err := m.deliver(ctx, rcpt.Address, msg); err != nil {
		return fmt.Errorf("sending email via %s: %w", m.addr(), err)
	}
	return nil
}

func (m *Mailer) addr() string {
	return net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.port()))
}

func (m *Mailer) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.cfg.TLSConfig != nil {
		c = m.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.cfg.Host
	}
	return c
}

// deliver runs one SMTP conversation. The context's deadline (or the configured timeout)
// bounds all of it: the connection's deadline is set once and the connection is closed if
// the context ends first.
func (m *Mailer) deliver(ctx context.Context, rcpt string, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	mode := m.cfg.tlsMode()

	var conn net.Conn
	dialer := &net.Dialer{}
	if mode == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: m.tlsConfig()}).DialContext(ctx, "tcp", m.addr())
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", m.addr())
	}
	if err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok {
		// A backstop only: the context ending closes the connection first, so the error
		// says which deadline passed.
		_ = conn.SetDeadline(deadline.Add(time.Second))
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
	}()

	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		_ = conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(m.cfg.LocalName); err != nil {
		return err
	}
	encrypted := mode == TLSImplicit
	if mode == TLSAuto || mode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			encrypted = true
		} else if mode == TLSStartTLS {
			return fmt.Errorf("%w: the server does not offer STARTTLS (SMTP_TLS=starttls)", ErrInsecureSMTP)
		} else if m.cfg.Username != "" {
			return fmt.Errorf("%w: the server does not offer STARTTLS; refusing to send SMTP_PASSWORD in clear text (use SMTP_TLS=tls for implicit TLS)", ErrInsecureSMTP)
		}
	}
	if m.cfg.Username != "" {
		if ok, mechs := c.Extension("AUTH"); !ok {
			return fmt.Errorf("%w: SMTP_USERNAME is set but the server does not offer AUTH", ErrInsecureSMTP)
		} else if err := c.Auth(chooseAuth(mechs, m.cfg.Username, m.cfg.Password, encrypted || isLoopbackHost(m.cfg.Host))); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The message is accepted; a failed QUIT does not make it unsent.
	_ = c.Quit()
	return nil
}

// chooseAuth picks PLAIN when offered, else LOGIN (offered by some older servers).
func chooseAuth(mechs, username, password string, secure bool) smtp.Auth {
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		if m == "PLAIN" {
			return &plainAuth{username: username, password: password, secure: secure}
		}
	}
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		if m == "LOGIN" {
			return &loginAuth{username: username, password: password, secure: secure}
		}
	}
	// Neither offered: try PLAIN, the server's refusal says which it wants.
	return &plainAuth{username: username, password: password, secure: secure}
}

// plainAuth is SASL PLAIN (RFC 4616). Unlike smtp.PlainAuth it trusts the secure flag
// decided above (TLS, or a loopback server with SMTP_TLS=none) instead of host names.
type plainAuth struct {
	username, password string
	secure             bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !a.secure && !server.TLS {
		return "", nil, fmt.Errorf("%w: refusing to send credentials without TLS", ErrInsecureSMTP)
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge for AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism: the server asks for the user name, then the password.
type loginAuth struct {
	username, password string
	secure             bool
	step               int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !a.secure && !server.TLS {
		return "", nil, fmt.Errorf("%w: refusing to send credentials without TLS", ErrInsecureSMTP)
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	prompt := strings.ToLower(strings.TrimSpace(string(challenge)))
	switch {
	case strings.HasPrefix(prompt, "user"):
		return []byte(a.username), nil
	case strings.HasPrefix(prompt, "pass"):
		return []byte(a.password), nil
	case a.step == 1:
		return []byte(a.username), nil
	case a.step == 2:
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", challenge)
}

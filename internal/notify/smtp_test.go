package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// selfSigned returns a server certificate for 127.0.0.1 and localhost, and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "lookout test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

type smtpOptions struct {
	startTLS    bool     // advertise STARTTLS
	implicitTLS bool     // TLS from the first byte
	mechs       []string // AUTH mechanisms offered (PLAIN, LOGIN)
	rcptErr     error    // answer to RCPT TO
}

// delivered is a message the test SMTP server accepted.
type delivered struct {
	from, to string
	data     []byte
	tls      bool
	user     string
}

type smtpServer struct {
	addr  string
	port  int
	pool  *x509.CertPool
	opts  smtpOptions
	mu    sync.Mutex
	mails []delivered
	auths []string // "mech user" per successful AUTH
}

func (s *smtpServer) delivered() []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivered(nil), s.mails...)
}

const (
	testUser     = "lookout"
	testPassword = "p@ss w0rd"
)

// startSMTP runs an emersion/go-smtp server on 127.0.0.1 for the test.
func startSMTP(t *testing.T, opts smtpOptions) *smtpServer {
	t.Helper()
	cert, pool := selfSigned(t)
	srv := &smtpServer{pool: pool, opts: opts}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	if opts.startTLS {
		s.TLSConfig = tlsConfig
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.addr = ln.Addr().String()
	srv.port = ln.Addr().(*net.TCPAddr).Port
	if opts.implicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return srv
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	from string
	to   []string
	user string
}

func (s *smtpSession) AuthMechanisms() []string { return s.srv.opts.mechs }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != testUser || pass != testPassword {
			return smtp.ErrAuthFailed
		}
		s.user = user
		s.srv.mu.Lock()
		s.srv.auths = append(s.srv.auths, mech+" "+user)
		s.srv.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.srv.opts.mechs) > 0 && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.rcptErr != nil {
		return s.srv.opts.rcptErr
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	for _, to := range s.to {
		s.srv.mails = append(s.srv.mails, delivered{from: s.from, to: to, data: b, tls: isTLS, user: s.user})
	}
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl only implements for clients.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if response != nil {
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

func (s *smtpServer) config(mode TLSMode, withAuth bool) SMTPConfig {
	cfg := SMTPConfig{
		Host:      "127.0.0.1",
		Port:      s.port,
		From:      "Lookout <lookout@lookout.example.com>",
		TLS:       mode,
		TLSConfig: &tls.Config{RootCAs: s.pool},
		Timeout:   5 * time.Second,
	}
	if withAuth {
		cfg.Username, cfg.Password = testUser, testPassword
	}
	return cfg
}

func newTestMailer(t *testing.T, cfg SMTPConfig) *Mailer {
	t.Helper()
	m, err := NewMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.now = func() time.Time { return fixedNow }
	return m
}

// parsedMail is a received message taken apart as a mail client would.
type parsedMail struct {
	header     mail.Header
	subject    string
	text, html string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, data)
	}
	var p parsedMail
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if enc := part.Header.Get("Content-Transfer-Encoding"); enc != "quoted-printable" {
			t.Errorf("part encoding %q", enc)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatal(err)
		}
		switch ct := part.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			p.text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html; charset=utf-8":
			p.html = strings.ReplaceAll(string(body), "\r\n", "\n")
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return p
}

func TestSMTPStartTLSPlainAuth(t *testing.T) {
	srv := startSMTP(t, smtpOptions{startTLS: true, mechs: []string{sasl.Plain, sasl.Login}})
	m := newTestMailer(t, srv.config(TLSAuto, true))
	n := codeMonitorFixture()
	n.Critical = true
	n.MonitorDescription = "Clés exposées — déploiement"
	if err := m.SendNotification(context.Background(), "Alice Example <alice@example.com>", "cm-action-42.1", n); err != nil {
		t.Fatal(err)
	}
	mails := srv.delivered()
	if len(mails) != 1 {
		t.Fatalf("%d messages delivered", len(mails))
	}
	got := mails[0]
	if !got.tls || got.user != testUser || got.from != "lookout@lookout.example.com" || got.to != "alice@example.com" {
		t.Errorf("envelope: tls %v, user %q, from %q, to %q", got.tls, got.user, got.from, got.to)
	}
	if srv.auths[0] != "PLAIN lookout" {
		t.Errorf("auth = %v, want PLAIN", srv.auths)
	}
	p := parseMail(t, got.data)
	want := map[string]string{
		"From":               `"Lookout" <lookout@lookout.example.com>`,
		"To":                 `"Alice Example" <alice@example.com>`,
		"Message-Id":         "<cm-action-42.1@lookout.example.com>",
		"X-Lookout-Delivery": "cm-action-42.1",
		"Date":               "Fri, 14 Mar 2025 15:09:26 +0000",
		"Mime-Version":       "1.0",
		"Auto-Submitted":     "auto-generated",
		"Importance":         "high",
	}
	for k, v := range want {
		if g := p.header.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	if want := "[Critical] Clés exposées — déploiement detected 7 new results"; p.subject != want {
		t.Errorf("subject = %q, want %q", p.subject, want)
	}
	if raw := p.header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("non-ASCII subject not encoded: %q", raw)
	}
	e, err := renderEmail(n, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if p.text != e.Text || p.html != e.HTML {
		t.Error("the bodies received differ from the bodies rendered")
	}
	// Lines on the wire stay short (quoted-printable soft breaks, folded headers).
	for _, line := range strings.Split(string(got.data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
			break
		}
	}
}

func TestSMTPLoginAuth(t *testing.T) {
	srv := startSMTP(t, smtpOptions{startTLS: true, mechs: []string{sasl.Login}})
	m := newTestMailer(t, srv.config(TLSStartTLS, true))
	if err := m.SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture()); err != nil {
		t.Fatal(err)
	}
	if len(srv.delivered()) != 1 || srv.auths[0] != "LOGIN lookout" {
		t.Errorf("delivered %d, auths %v", len(srv.delivered()), srv.auths)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := startSMTP(t, smtpOptions{implicitTLS: true, mechs: []string{sasl.Plain}})
	m := newTestMailer(t, srv.config(TLSImplicit, true))
	if err := m.SendNotification(context.Background(), "bob@example.com", "d1", alertFixture()); err != nil {
		t.Fatal(err)
	}
	mails := srv.delivered()
	if len(mails) != 1 || !mails[0].tls {
		t.Fatalf("delivered %+v", mails)
	}
	if p := parseMail(t, mails[0].data); p.subject != "[P2] Insecure exec calls: alert priority increased (6 active issues)" {
		t.Errorf("subject = %q", p.subject)
	}
}

func TestSMTPPlainWithoutCredentials(t *testing.T) {
	// No STARTTLS offered and no credentials: auto mode sends in clear (a local relay).
	srv := startSMTP(t, smtpOptions{})
	m := newTestMailer(t, srv.config(TLSAuto, false))
	if err := m.SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture()); err != nil {
		t.Fatal(err)
	}
	if mails := srv.delivered(); len(mails) != 1 || mails[0].tls {
		t.Errorf("delivered %+v", mails)
	}
}

func TestSMTPRefusesCleartextCredentials(t *testing.T) {
	srv := startSMTP(t, smtpOptions{mechs: []string{sasl.Plain}})
	for _, mode := range []TLSMode{TLSAuto, TLSStartTLS} {
		withAuth := mode == TLSAuto
		m := newTestMailer(t, srv.config(mode, withAuth))
		err := m.SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture())
		if !errors.Is(err, ErrInsecureSMTP) || !IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent insecure-SMTP error", mode, err)
		}
	}
	if len(srv.delivered()) != 0 || len(srv.auths) != 0 {
		t.Error("something was sent")
	}
}

func TestSMTPErrors(t *testing.T) {
	srv := startSMTP(t, smtpOptions{startTLS: true, mechs: []string{sasl.Plain}})
	cfg := srv.config(TLSAuto, true)
	cfg.Password = "wrong"
	err := newTestMailer(t, cfg).SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: %v", err)
	}

	temp := startSMTP(t, smtpOptions{rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}})
	err = newTestMailer(t, temp.config(TLSAuto, false)).SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "try later") {
		t.Errorf("4xx: %v", err)
	}

	perm := startSMTP(t, smtpOptions{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}})
	err = newTestMailer(t, perm.config(TLSAuto, false)).SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "no such user") {
		t.Errorf("5xx: %v", err)
	}

	m := newTestMailer(t, srv.config(TLSAuto, true))
	for name, err := range map[string]error{
		"bad recipient":   m.SendNotification(context.Background(), "not an address", "d1", codeMonitorFixture()),
		"bad delivery ID": m.SendNotification(context.Background(), "bob@example.com", "a b", codeMonitorFixture()),
		"invalid":         m.SendNotification(context.Background(), "bob@example.com", "d1", Notification{}),
	} {
		if err == nil || !IsPermanent(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSMTPTimeout(t *testing.T) {
	// A server that accepts connections and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg := SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "l@example.com", Timeout: 200 * time.Millisecond}
	m := newTestMailer(t, cfg)
	start := time.Now()
	err = m.SendNotification(context.Background(), "bob@example.com", "d1", codeMonitorFixture())
	if err == nil || IsPermanent(err) {
		t.Errorf("err = %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 200ms timeout", d)
	}

	// A cancelled context stops the conversation too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cfg.Timeout = time.Minute
	err = newTestMailer(t, cfg).SendNotification(ctx, "bob@example.com", "d1", codeMonitorFixture())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

func TestNotifierEmail(t *testing.T) {
	srv := startSMTP(t, smtpOptions{startTLS: true, mechs: []string{sasl.Plain}})
	n, err := New(Config{SMTP: srv.config(TLSAuto, true)})
	if err != nil {
		t.Fatal(err)
	}
	if !n.EmailEnabled() {
		t.Fatal("email not enabled")
	}
	n.mailer.now = func() time.Time { return fixedNow }
	if err := n.SendEmail(context.Background(), "carol@example.com", "cm-action-1", codeMonitorFixture().AsTest()); err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, srv.delivered()[0].data)
	if !strings.HasPrefix(p.subject, "Test: ") {
		t.Errorf("subject = %q", p.subject)
	}

	off, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := off.SendEmail(context.Background(), "a@example.com", "d", codeMonitorFixture()); !errors.Is(err, ErrEmailNotConfigured) || !IsPermanent(err) {
		t.Errorf("SendEmail without SMTP = %v", err)
	}
}

func TestBuildMessageDeterministic(t *testing.T) {
	from, _ := mail.ParseAddress("Lookout <lookout@example.com>")
	to, _ := mail.ParseAddress("a@example.com")
	e := Email{Subject: "s", Text: "t", HTML: "<p>h</p>"}
	a, err := buildMessage(from, to, "cm-action-7", fixedNow, e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := buildMessage(from, to, "cm-action-7", fixedNow, e)
	if !bytes.Equal(a, b) {
		t.Error("the same delivery gives different bytes")
	}
	c, _ := buildMessage(from, to, "cm-action-8", fixedNow, e)
	if bytes.Equal(a, c) {
		t.Error("different deliveries give the same bytes")
	}
	golden(t, "message.eml", a)
}

func TestFoldHeader(t *testing.T) {
	long := "Subject: " + strings.Repeat("word ", 40)
	folded := foldHeader(strings.TrimSpace(long))
	for _, line := range strings.Split(folded, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d", len(line))
		}
	}
	if strings.ReplaceAll(folded, "\r\n", "") != strings.TrimSpace(long) {
		t.Error("folding changed the header")
	}
	// A single word longer than the limit is left whole.
	word := "X: " + strings.Repeat("a", 100)
	if foldHeader(word) != word {
		t.Error("an unbreakable header was changed")
	}
}

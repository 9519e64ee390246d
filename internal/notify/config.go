package notify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// TLSMode is how the SMTP connection is protected (SMTP_TLS).
type TLSMode string

const (
	// TLSAuto (the default) upgrades with STARTTLS when the server offers it, and requires
	// it when credentials are set, so a password never travels in clear text.
	TLSAuto TLSMode = "auto"
	// TLSStartTLS requires STARTTLS.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit connects with TLS from the start (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never uses TLS; credentials are then only sent to a loopback server.
	TLSNone TLSMode = "none"
)

// SMTPConfig is where and how email is sent.
type SMTPConfig struct {
	Host     string // empty disables email
	Port     int    // default 587, or 465 with TLSImplicit, or 25 with TLSNone
	Username string
	Password string
	From     string // "Lookout <lookout@example.com>" or a bare address
	TLS      TLSMode
	// Timeout bounds one whole SMTP conversation. Default 30 s.
	Timeout time.Duration
	// LocalName is the name sent in EHLO. Default "localhost".
	LocalName string
	// TLSConfig is the TLS client configuration (e.g. a private root CA); ServerName
	// defaults to Host.
	TLSConfig *tls.Config
}

// Config is the notification configuration of a binary.
type Config struct {
	SMTP     SMTPConfig
	Outgoing OutgoingConfig
}

// Getter reads one configuration variable: its name, default and description, as
// internal/env.Get takes them.
type Getter func(name, def, description string) string

// ConfigFromEnv reads SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM,
// SMTP_TLS, WEBHOOK_ALLOWED_HOSTS and WEBHOOK_TIMEOUT through get, and checks them.
func ConfigFromEnv(get Getter) (Config, error) {
	var cfg Config
	var errs []error
	cfg.SMTP.Host = strings.TrimSpace(get("SMTP_HOST", "", "SMTP server that sends notification email; empty disables email actions."))
	if p := strings.TrimSpace(get("SMTP_PORT", "", "SMTP server port (default 587; 465 with SMTP_TLS=tls; 25 with SMTP_TLS=none).")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("invalid SMTP_PORT=%q: want a port number", p))
		}
		cfg.SMTP.Port = n
	}
	cfg.SMTP.Username = get("SMTP_USERNAME", "", "SMTP user name (AUTH PLAIN or LOGIN); empty sends without authentication.")
	cfg.SMTP.Password = get("SMTP_PASSWORD", "", "SMTP password.")
	cfg.SMTP.From = strings.TrimSpace(get("SMTP_FROM", "", "Sender of notification email, e.g. \"Lookout <lookout@example.com>\" (required with SMTP_HOST)."))
	cfg.SMTP.TLS = TLSMode(strings.ToLower(strings.TrimSpace(get("SMTP_TLS", string(TLSAuto),
		"SMTP transport security: auto (STARTTLS when offered, required with credentials), starttls, tls (implicit, port 465) or none."))))
	allowed := get("WEBHOOK_ALLOWED_HOSTS", "",
		"Comma list of hosts, host:port, IPs or CIDRs that webhook and Slack URLs may reach even though they are loopback, private or link-local (e.g. 127.0.0.1,10.0.0.0/8).")
	for _, e := range strings.Split(allowed, ",") {
		if e = strings.TrimSpace(e); e != "" {
			cfg.Outgoing.AllowedHosts = append(cfg.Outgoing.AllowedHosts, e)
		}
	}
	if _, err := ParseAllowList(cfg.Outgoing.AllowedHosts); err != nil {
		errs = append(errs, err)
	}
	timeout := get("WEBHOOK_TIMEOUT", DefaultTimeout.String(), "Time limit of one webhook or Slack delivery, redirects included (at most 1m).")
	if d, err := time.ParseDuration(strings.TrimSpace(timeout)); err != nil || d <= 0 || d > time.Minute {
		errs = append(errs, fmt.Errorf("invalid WEBHOOK_TIMEOUT=%q: want a duration between 1ms and 1m, such as 10s", timeout))
	} else {
		cfg.Outgoing.Timeout = d
	}
	if err := cfg.SMTP.Check(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// Enabled reports whether email can be sent.
func (c SMTPConfig) Enabled() bool { return c.Host != "" }

// Check validates c; a config without Host is valid (email disabled).
func (c SMTPConfig) Check() error {
	if !c.Enabled() {
		return nil
	}
	switch c.TLS {
	case "", TLSAuto, TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("invalid SMTP_TLS=%q: want auto, starttls, tls or none", c.TLS)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("invalid SMTP_PORT=%d", c.Port)
	}
	if strings.ContainsAny(c.Host, " /:") && net.ParseIP(c.Host) == nil {
		return fmt.Errorf("invalid SMTP_HOST=%q: want a host name or IP without port (set SMTP_PORT)", c.Host)
	}
	if c.From == "" {
		return errors.New("SMTP_FROM is required when SMTP_HOST is set")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("invalid SMTP_FROM=%q: %v", c.From, err)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("SMTP_USERNAME and SMTP_PASSWORD must be set together")
	}
	if c.TLS == TLSNone && c.Username != "" && !isLoopbackHost(c.Host) {
		return fmt.Errorf("SMTP_TLS=none would send SMTP_PASSWORD in clear text to %s; use auto, starttls or tls", c.Host)
	}
	return nil
}

func (c SMTPConfig) tlsMode() TLSMode {
	if c.TLS == "" {
		return TLSAuto
	}
	return c.TLS
}

func (c SMTPConfig) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.tlsMode() {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

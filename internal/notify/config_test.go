package notify

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mapEnv is a Getter over a map that records what was declared.
func mapEnv(vars map[string]string, declared map[string]string) Getter {
	return func(name, def, desc string) string {
		if declared != nil {
			declared[name] = desc
		}
		if v, ok := vars[name]; ok && v != "" {
			return v
		}
		return def
	}
}

func TestConfigFromEnvDefaults(t *testing.T) {
	declared := map[string]string{}
	cfg, err := ConfigFromEnv(mapEnv(nil, declared))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Enabled() || cfg.Outgoing.Timeout != DefaultTimeout || len(cfg.Outgoing.AllowedHosts) != 0 {
		t.Errorf("defaults = %+v", cfg)
	}
	want := []string{"SMTP_FROM", "SMTP_HOST", "SMTP_PASSWORD", "SMTP_PORT", "SMTP_TLS", "SMTP_USERNAME", "WEBHOOK_ALLOWED_HOSTS", "WEBHOOK_TIMEOUT"}
	var got []string
	for name, desc := range declared {
		got = append(got, name)
		if desc == "" {
			t.Errorf("%s has no description", name)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("variables (-want +got)\n%s", diff)
	}
}

func TestConfigFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(mapEnv(map[string]string{
		"SMTP_HOST":             "smtp.example.com",
		"SMTP_PORT":             "2525",
		"SMTP_USERNAME":         "u",
		"SMTP_PASSWORD":         "p",
		"SMTP_FROM":             "Lookout <lookout@example.com>",
		"SMTP_TLS":              "STARTTLS",
		"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1, localhost ,10.0.0.0/8",
		"WEBHOOK_TIMEOUT":       "3s",
	}, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		SMTP: SMTPConfig{Host: "smtp.example.com", Port: 2525, Username: "u", Password: "p", From: "Lookout <lookout@example.com>", TLS: TLSStartTLS},
		Outgoing: OutgoingConfig{
			AllowedHosts: []string{"127.0.0.1", "localhost", "10.0.0.0/8"},
			Timeout:      3 * time.Second,
		},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	base := map[string]string{"SMTP_HOST": "smtp.example.com", "SMTP_FROM": "lookout@example.com"}
	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"port":           {map[string]string{"SMTP_PORT": "http"}, "SMTP_PORT"},
		"port range":     {map[string]string{"SMTP_PORT": "70000"}, "SMTP_PORT"},
		"tls":            {map[string]string{"SMTP_TLS": "ssl"}, "SMTP_TLS"},
		"from missing":   {map[string]string{"SMTP_FROM": ""}, "SMTP_FROM is required"},
		"from bad":       {map[string]string{"SMTP_FROM": "not an address"}, "SMTP_FROM"},
		"user only":      {map[string]string{"SMTP_USERNAME": "u"}, "together"},
		"clear text":     {map[string]string{"SMTP_TLS": "none", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}, "clear text"},
		"host with port": {map[string]string{"SMTP_HOST": "smtp.example.com:25"}, "SMTP_HOST"},
		"allowed hosts":  {map[string]string{"WEBHOOK_ALLOWED_HOSTS": "10.0.0.0/99"}, "WEBHOOK_ALLOWED_HOSTS"},
		"timeout":        {map[string]string{"WEBHOOK_TIMEOUT": "forever"}, "WEBHOOK_TIMEOUT"},
		"timeout bound":  {map[string]string{"WEBHOOK_TIMEOUT": "10m"}, "WEBHOOK_TIMEOUT"},
	} {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range tc.set {
			vars[k] = v
		}
		if tc.set["SMTP_FROM"] == "" && name == "from missing" {
			delete(vars, "SMTP_FROM")
		}
		_, err := ConfigFromEnv(mapEnv(vars, nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
	// Clear text credentials to a loopback relay are the admin's choice.
	vars := map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "l@example.com", "SMTP_TLS": "none", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}
	if _, err := ConfigFromEnv(mapEnv(vars, nil)); err != nil {
		t.Errorf("loopback relay: %v", err)
	}
}

func TestSMTPDefaults(t *testing.T) {
	for mode, port := range map[TLSMode]int{"": 587, TLSAuto: 587, TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25} {
		if got := (SMTPConfig{TLS: mode}).port(); got != port {
			t.Errorf("port for %q = %d, want %d", mode, got, port)
		}
	}
	if _, err := NewMailer(SMTPConfig{}); err != ErrEmailNotConfigured {
		t.Errorf("NewMailer without host = %v", err)
	}
}

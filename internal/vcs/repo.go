package vcs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/lookout/lookout/internal/redact"
)

// Repo identifies a repository to mirror. Callers build it from their own
// records each time, so a changed clone URL or a rotated token takes effect on
// the next fetch without touching the mirror.
type Repo struct {
	// Name is the repository's name, like "github.com/owner/name". It picks the
	// mirror's directory under the cache root.
	Name string
	// URL is where to clone and fetch from: https://, http://, ssh://, git://,
	// scp-like user@host:path, and with Options.AllowLocal also file:// or an
	// absolute local path. Userinfo in an http(s) URL is moved into Credential.
	URL string
	// Credential authenticates http(s) remotes; nil for none.
	Credential *Credential
}

// Credential is a username and secret (a password or an access token) for an
// http(s) remote.
type Credential struct {
	// Username defaults to "git" when empty; code hosts that authenticate by
	// token alone accept any username.
	Username string
	Password string
}

// remote is a validated clone URL ready to be passed to git.
type remote struct {
	url string // without userinfo secrets
	// scope is scheme://host[:port] of an http(s) URL: the credential helper is
	// configured for this URL only, so a redirect to another host gets nothing.
	scope string
	cred  *Credential
}

// redact removes the credential's secret from s, and the userinfo of any URL, in
// case git or a remote echoes them.
func (r remote) redact(s string) string {
	return redactSecret(s, r.cred)
}

func redactSecret(s string, cred *Credential) string {
	if cred != nil && cred.Password != "" {
		s = strings.ReplaceAll(s, cred.Password, "REDACTED")
		if esc := url.QueryEscape(cred.Password); esc != cred.Password {
			s = strings.ReplaceAll(s, esc, "REDACTED")
		}
	}
	return redact.Credentials(s)
}

// parseRemote validates a repository's clone URL. It rejects anything git could
// read as an option or a transport we do not allow (ext::, fd::, relative paths).
func parseRemote(repo Repo, allowLocal bool) (remote, error) {
	raw := repo.URL
	cred := repo.Credential
	if raw == "" {
		return remote{}, fmt.Errorf("repository %q has no clone URL", repo.Name)
	}
	if strings.HasPrefix(raw, "-") {
		return remote{}, fmt.Errorf("invalid clone URL for %q: starts with '-'", repo.Name)
	}
	if strings.ContainsFunc(raw, isControl) {
		return remote{}, fmt.Errorf("invalid clone URL for %q: contains control characters", repo.Name)
	}
	if cred != nil && (strings.ContainsFunc(cred.Username, isControl) || strings.ContainsFunc(cred.Password, isControl)) {
		return remote{}, fmt.Errorf("invalid credential for %q: contains control characters", repo.Name)
	}

	if filepath.IsAbs(raw) {
		if !allowLocal {
			return remote{}, fmt.Errorf("clone URL for %q is a local path, which is not allowed", repo.Name)
		}
		return remote{url: raw}, nil
	}

	if head, _, _ := strings.Cut(raw, "/"); strings.Contains(head, "::") {
		// "<transport>::<address>" runs a remote helper (ext::, fd::, ...).
		return remote{}, fmt.Errorf("unsupported clone URL for %q: remote helper syntax", repo.Name)
	}
	scheme, _, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		// scp-like syntax: [user@]host:path, which git treats as ssh.
		hostPart, _, ok := strings.Cut(raw, ":")
		if !ok || strings.Contains(hostPart, "/") || hostPart == "" {
			return remote{}, fmt.Errorf("unsupported clone URL for %q: %s", repo.Name, redact.Credentials(raw))
		}
		if _, host, _ := strings.Cut(hostPart, "@"); strings.HasPrefix(host, "-") || strings.HasPrefix(hostPart, "-") {
			return remote{}, fmt.Errorf("invalid clone URL for %q: host starts with '-'", repo.Name)
		}
		return remote{url: raw}, nil
	}

	u, err := url.Parse(raw)
	if err != nil {
		return remote{}, fmt.Errorf("invalid clone URL for %q: %s", repo.Name, redactSecret(err.Error(), cred))
	}
	switch strings.ToLower(scheme) {
	case "https", "http":
		if u.Host == "" || strings.HasPrefix(u.Host, "-") {
			return remote{}, fmt.Errorf("invalid clone URL for %q: bad host", repo.Name)
		}
		if u.User != nil {
			// A secret in the URL would end up in argv and in the mirror's
			// config; move it to the credential helper instead.
			if cred == nil {
				p, _ := u.User.Password()
				cred = &Credential{Username: u.User.Username(), Password: p}
			}
			u.User = nil
		}
		return remote{url: u.String(), scope: strings.ToLower(u.Scheme) + "://" + u.Host, cred: cred}, nil
	case "ssh", "git":
		if u.Host == "" || strings.HasPrefix(u.Host, "-") || strings.HasPrefix(u.User.Username(), "-") {
			return remote{}, fmt.Errorf("invalid clone URL for %q: bad host", repo.Name)
		}
		if _, hasPassword := u.User.Password(); hasPassword {
			return remote{}, fmt.Errorf("invalid clone URL for %q: passwords are not supported for %s URLs", repo.Name, scheme)
		}
		return remote{url: raw}, nil
	case "file":
		if !allowLocal {
			return remote{}, fmt.Errorf("clone URL for %q is a file:// URL, which is not allowed", repo.Name)
		}
		return remote{url: raw}, nil
	default:
		return remote{}, fmt.Errorf("unsupported clone URL scheme %q for %q", scheme, repo.Name)
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// mirrorRelPath maps a repository name to the mirror's path relative to the
// cache root. Slashes become directories; every other byte outside
// [A-Za-z0-9._-] is percent-encoded, as is a leading dot (no "." or ".."
// components, no clash with the cache's own ".tmp" directory) and the dot of a
// ".git", ".lock" or ".tmp" suffix. So intermediate directories, mirrors
// ("x.git"), lock files ("x.git.lock") and temporary directories never collide,
// and the mapping is one-to-one.
func mirrorRelPath(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty repository name")
	}
	if len(name) > 1024 {
		return "", fmt.Errorf("repository name too long (%d bytes)", len(name))
	}
	comps := strings.Split(name, "/")
	for i, c := range comps {
		if c == "" {
			return "", fmt.Errorf("invalid repository name %q: empty path component", name)
		}
		e := escapeComponent(c)
		if len(e) > 200 {
			return "", fmt.Errorf("invalid repository name %q: path component too long", name)
		}
		comps[i] = e
	}
	return filepath.Join(comps...) + ".git", nil
}

func escapeComponent(c string) string {
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		ch := c[i]
		safe := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_' || ch == '.' && i > 0
		if safe {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	out := b.String()
	for _, suffix := range []string{".git", ".lock", ".tmp"} {
		if strings.HasSuffix(out, suffix) {
			out = out[:len(out)-len(suffix)] + "%2E" + suffix[1:]
			break
		}
	}
	return out
}

// nameHash is a fixed-length key for a mirror, used to name its temporary
// directories so that cleanup under the mirror's lock can find them by prefix.
func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:12])
}

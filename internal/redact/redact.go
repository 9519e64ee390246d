// Package redact removes secrets and server details from text that leaves the server:
// credentials embedded in URLs (https://user:token@host) and, for viewers who are not
// site admins, local filesystem paths (the mirror cache under REPOS_DIR, a GIT
// connection's local repositories).
//
// Callers: internal/vcs scrubs git's output before it becomes an error; the resolvers
// scrub repository URIs, mirror errors and job failure messages per viewer
// ([ForViewer]); internal/app strips credentials from URLs stored before they were
// refused ([StripUserinfo]).
//
// It works on text rather than on typed errors because what it cleans is mostly git's
// stderr and messages already stored in job rows: the only structure left is the shape
// of a URL or a path. The rules err towards hiding: every userinfo of a URL with a
// scheme is hidden (a token is often the user name: https://TOKEN@github.com), and any
// absolute path of two or more components is a local path to a non-admin.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Marker replaces what was removed.
const Marker = "REDACTED"

// LocalPathMarker replaces a local path or file:// URL shown to a non-admin.
const LocalPathMarker = "[local path]"

// userinfo matches "scheme://userinfo@" where the userinfo stops before the first /,
// whitespace or quote, so "https://host/a@b" keeps its path.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s'"<>]+)@`)

// Credentials replaces the userinfo of every URL in s with "REDACTED", whether it is
// user:password or a lone user name (which code hosts accept as a token).
func Credentials(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "${1}"+Marker+"@")
}

var (
	fileURL = regexp.MustCompile(`(?i)\bfile://[^\s'"<>)]*`)
	// An absolute path of at least two components after a start, whitespace, quote,
	// bracket, "=", ":" or ","; it ends before ":", ";" or "," (as in "open /x/y: ...").
	// A URL's path follows its host, so it never matches.
	absPath = regexp.MustCompile(`(^|[\s'"(\[=:,])(/[^\s/'"<>)\]:;,]+(?:/[^\s/'"<>)\]:;,]*)+)`)
)

// LocalPaths replaces file:// URLs and absolute paths in s with "[local path]".
func LocalPaths(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	s = fileURL.ReplaceAllString(s, LocalPathMarker)
	return absPath.ReplaceAllString(s, "${1}"+LocalPathMarker)
}

// ForViewer cleans text shown through the API: credentials are hidden from everyone,
// local paths from all but site admins (who configure them).
func ForViewer(s string, siteAdmin bool) string {
	s = Credentials(s)
	if !siteAdmin {
		s = LocalPaths(s)
	}
	return s
}

// StripUserinfo returns a URL without its userinfo (https://token@host/x -> https://host/x),
// and whether there was one. Anything that does not parse as a URL with a scheme and a
// host is returned unchanged.
func StripUserinfo(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.User == nil {
		return raw, false
	}
	u.User = nil
	return u.String(), true
}

// IsLocal reports whether a clone URL names this server's disk: an absolute path or a
// file:// URL.
func IsLocal(raw string) bool {
	return strings.HasPrefix(raw, "/") || strings.HasPrefix(strings.ToLower(raw), "file:")
}

package codehost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// URLCredentialsFix is what [MoveURLCredentials] did to a stored config.
type URLCredentialsFix struct {
	// Config is the config without credentials in URLs.
	Config []byte
	// Fields names the fields whose URLs held credentials, like "url" or "repos[2]".
	Fields []string
	// Moved is true when the credential went into the config's own fields, so the
	// connection works as before; false when it was dropped, and Problem says why.
	Moved   bool
	Problem string
}

// MoveURLCredentials upgrades a config stored before credentials in URLs were refused
// (GIT remotes like http://TOKEN@host/r.git). Every URL loses its userinfo. The
// credential moves to the config's "token" (and, for kinds that have one, "username")
// when that is unambiguous: every URL carried the same one, and the config has no other
// token. Otherwise it is dropped and Problem tells the admin what to set. A config with
// no credentials in URLs returns nil. It works on the JSON as stored, which ParseConfig
// would now refuse.
func MoveURLCredentials(kind Kind, raw []byte) (*URLCredentialsFix, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, fmt.Errorf("stored %s config is not a JSON object: %v", kind, err)
	}
	type cred struct{ user, token string }
	var found []cred
	fix := &URLCredentialsFix{}
	strip := func(field, s string) string {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Scheme == "" || u.User == nil {
			return s
		}
		// ssh:// keeps a bare login name, as ParseGitRemote allows.
		if _, hasPassword := u.User.Password(); u.Scheme == "ssh" && !hasPassword {
			return s
		}
		user := u.User.Username()
		if pw, ok := u.User.Password(); ok {
			found = append(found, cred{user: user, token: pw})
		} else {
			found = append(found, cred{token: user}) // https://TOKEN@host: the token is the user name
		}
		fix.Fields = append(fix.Fields, field)
		u.User = nil
		return u.String()
	}

	if kind == KindGit {
		var repos []json.RawMessage
		if raw, ok := fields["repos"]; ok && json.Unmarshal(raw, &repos) == nil {
			for i, r := range repos {
				field := fmt.Sprintf("repos[%d]", i)
				var s string
				if json.Unmarshal(r, &s) == nil {
					repos[i], _ = json.Marshal(strip(field, s))
					continue
				}
				var obj map[string]json.RawMessage
				if json.Unmarshal(r, &obj) == nil && obj["url"] != nil && json.Unmarshal(obj["url"], &s) == nil {
					obj["url"], _ = json.Marshal(strip(field, s))
					repos[i], _ = json.Marshal(obj)
				}
			}
			fields["repos"], _ = json.Marshal(repos)
		}
	} else {
		var s string
		if raw, ok := fields["url"]; ok && json.Unmarshal(raw, &s) == nil {
			fields["url"], _ = json.Marshal(strip("url", s))
		}
	}
	if len(found) == 0 {
		return nil, nil
	}

	str := func(name string) string {
		var s string
		_ = json.Unmarshal(fields[name], &s)
		return s
	}
	hasUsername := kind == KindGit || kind == KindBitbucketServer
	one := found[0]
	same := true
	for _, c := range found[1:] {
		same = same && c == one
	}
	token, username := str("token"), str("username")
	switch {
	case !same:
		fix.Problem = "the URLs held different credentials"
	case token != "" && token != one.token:
		fix.Problem = `the URLs' credential differs from "token"`
	case one.user != "" && hasUsername && username != "" && username != one.user:
		fix.Problem = `the URLs' user name differs from "username"`
	default:
		fix.Moved = true
		fields["token"], _ = json.Marshal(one.token)
		if one.user != "" && hasUsername {
			fields["username"], _ = json.Marshal(one.user)
		}
	}
	if !fix.Moved {
		fix.Problem = fmt.Sprintf("Lookout removed the credentials embedded in %s, which are no longer accepted in URLs, but could not keep them: %s; set the credential the connection needs in %s",
			strings.Join(fix.Fields, ", "), fix.Problem, map[bool]string{true: `"username" and "token"`, false: `"token"`}[hasUsername])
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	fix.Config = out
	return fix, nil
}

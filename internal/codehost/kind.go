package codehost

import (
	"fmt"
	"strings"
)

// Kind is the type of a code host connection, as stored in external_services.kind.
type Kind string

// The kinds of code host Lookout speaks to.
const (
	KindGitHub          Kind = "GITHUB"
	KindGitLab          Kind = "GITLAB"
	KindGitea           Kind = "GITEA"
	KindBitbucketServer Kind = "BITBUCKETSERVER"
	KindGit             Kind = "GIT"
)

// Kinds lists every supported kind, in the order the API documents them.
var Kinds = []Kind{KindGitHub, KindGitLab, KindGitea, KindBitbucketServer, KindGit}

// ParseKind accepts a kind in any letter case.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToUpper(strings.TrimSpace(s)))
	if k.Valid() {
		return k, nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown code host kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// Valid reports whether k is one of [Kinds].
func (k Kind) Valid() bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// Hosted reports whether k is a code host with an API (every kind but GIT).
func (k Kind) Hosted() bool { return k.Valid() && k != KindGit }

func (k Kind) String() string { return string(k) }

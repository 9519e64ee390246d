package codehost_test

import (
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/codehost"
)

func TestMoveURLCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kind    codehost.Kind
		stored  string
		want    string // the config after; "" for no change
		moved   bool
		problem string
	}{
		{"nothing to do", codehost.KindGit, `{"repos":["https://h/a.git","git@h:b.git","ssh://git@h/c.git","/srv/d"],"token":"t"}`, "", false, ""},
		{"token as user name", codehost.KindGit, `{"repos":["http://TOK@h/a.git","/srv/x"]}`,
			`{"repos":["http://h/a.git","/srv/x"],"token":"TOK"}`, true, ""},
		{"user and password, objects too", codehost.KindGit, `{"repos":["https://bob:pw@h/a.git",{"url":"https://bob:pw@h/b.git","name":"h/bee"}]}`,
			`{"repos":["https://h/a.git",{"name":"h/bee","url":"https://h/b.git"}],"token":"pw","username":"bob"}`, true, ""},
		{"same as the token", codehost.KindGit, `{"repos":["https://TOK@h/a.git"],"token":"TOK"}`,
			`{"repos":["https://h/a.git"],"token":"TOK"}`, true, ""},
		{"different credentials", codehost.KindGit, `{"repos":["https://A@h/a.git","https://B@h/b.git"]}`,
			`{"repos":["https://h/a.git","https://h/b.git"]}`, false, "different credentials"},
		{"conflicts with the token", codehost.KindGit, `{"repos":["https://A@h/a.git"],"token":"other"}`,
			`{"repos":["https://h/a.git"],"token":"other"}`, false, `differs from "token"`},
		{"hosted url", codehost.KindGitHub, `{"url":"https://x-access-token:ghp_1@ghe.example.com","orgs":["a"]}`,
			`{"orgs":["a"],"token":"ghp_1","url":"https://ghe.example.com"}`, true, ""},
		{"bitbucket user", codehost.KindBitbucketServer, `{"url":"https://svc:pat@bb.example.com","token":"pat","orgs":["P"]}`,
			`{"orgs":["P"],"token":"pat","url":"https://bb.example.com","username":"svc"}`, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fix, err := codehost.MoveURLCredentials(tc.kind, []byte(tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if fix != nil {
					t.Fatalf("changed a config without credentials in URLs: %s", fix.Config)
				}
				return
			}
			if fix == nil {
				t.Fatal("no fix")
			}
			if string(fix.Config) != tc.want || fix.Moved != tc.moved || !strings.Contains(fix.Problem, tc.problem) || (tc.problem == "") != (fix.Problem == "") {
				t.Fatalf("got %s moved=%v problem=%q; want %s moved=%v problem~%q", fix.Config, fix.Moved, fix.Problem, tc.want, tc.moved, tc.problem)
			}
			// What is left parses under today's rules.
			if _, err := codehost.ParseConfig(tc.kind, fix.Config); err != nil && tc.moved {
				t.Errorf("the upgraded config does not parse: %v", err)
			}
		})
	}
}

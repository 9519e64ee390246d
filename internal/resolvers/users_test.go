package resolvers_test

import (
	"context"
	"testing"

	"github.com/lookout/lookout/internal/apitest"
)

// createUser's siteAdmin and verifiedEmail have defaults; an explicit null (a literal, or
// a variable a form left null or did not send) means the default, as when omitted,
// instead of failing the request with "got null for non-null".
func TestCreateUserNullArgumentsTakeTheirDefaults(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	withVars := `mutation($u: String!, $email: String, $admin: Boolean, $verified: Boolean) {
		createUser(username: $u, email: $email, siteAdmin: $admin, verifiedEmail: $verified) { user { username siteAdmin emailVerified } } }`
	for _, tc := range []struct {
		name            string
		query           string
		vars            map[string]any
		admin, verified bool
	}{
		{"omitted", `mutation { createUser(username: "u-omitted", email: "o@example.com") { user { username siteAdmin emailVerified } } }`, nil, false, true},
		{"literal nulls", `mutation { createUser(username: "u-literal", email: "l@example.com", siteAdmin: null, verifiedEmail: null) { user { username siteAdmin emailVerified } } }`, nil, false, true},
		{"null variables", withVars, map[string]any{"u": "u-nullvars", "email": "n@example.com", "admin": nil, "verified": nil}, false, true},
		{"variables not sent", withVars, map[string]any{"u": "u-unsent", "email": "s@example.com"}, false, true},
		{"values", withVars, map[string]any{"u": "u-values", "email": "v@example.com", "admin": true, "verified": false}, true, false},
	} {
		var res struct {
			CreateUser struct {
				User struct {
					Username      string
					SiteAdmin     bool
					EmailVerified bool
				}
			}
		}
		e.MustDo(t, e.AdminToken, tc.query, tc.vars, &res)
		u := res.CreateUser.User
		if u.SiteAdmin != tc.admin || u.EmailVerified != tc.verified {
			t.Errorf("%s: siteAdmin %v, emailVerified %v; want %v, %v", tc.name, u.SiteAdmin, u.EmailVerified, tc.admin, tc.verified)
		}
		stored, err := e.Store.Users().GetByUsername(context.Background(), u.Username)
		if err != nil || stored.SiteAdmin != tc.admin {
			t.Errorf("%s: stored user %+v, %v", tc.name, stored, err)
		}
	}
	// A null where no default exists still fails clearly.
	if r := e.Do(t, e.AdminToken, `mutation($u: String!) { createUser(username: $u) { user { id } } }`, map[string]any{"u": nil}); len(r.Errors) == 0 {
		t.Error("a null username was accepted")
	}
}

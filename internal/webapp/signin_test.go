package webapp_test

import (
	"strings"
	"testing"
)

// A person signs in with the form, lands on the page they asked for, and signs out; a
// wrong password is answered in place.
func TestSignIn(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	e.user(t, "alice", false)

	tab := browser.NewTab(t)
	tab.Go(e.url + "/code-monitoring")
	if loc := tab.Location(); !strings.Contains(loc, "/sign-in?returnTo=%2Fcode-monitoring") {
		t.Fatalf("a signed-out visitor was not sent to sign in: %s", loc)
	}
	tab.CheckA11y()
	tab.Fill("Username", "alice")
	tab.Fill("Password", "wrong")
	tab.Click("Sign in")
	tab.WaitText("[role=alert]", "Wrong username or password")

	tab.Fill("Password", "password-alice")
	tab.Click("Sign in")
	tab.WaitText("main h1", "Code monitors")
	tab.WaitText("main", "You have no code monitors yet")
	tab.CheckA11y()

	tab.Click("Sign out")
	tab.WaitText("main h1", "Sign in")
	tab.Go(e.url + "/code-monitoring")
	tab.WaitText("main h1", "Sign in")
}

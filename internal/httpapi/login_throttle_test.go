package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"
	"golang.org/x/crypto/bcrypt"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/auth"
)

// signIn posts credentials to a frontend's /.auth/login and returns the status and
// Retry-After.
func signIn(t *testing.T, baseURL, username, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(baseURL+"/.auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func withPassword(t *testing.T, e *apitest.Env, username, password string) {
	t.Helper()
	u, _ := e.CreateUser(t, username, false)
	// bcrypt's cheapest cost: these tests are about which attempts are let through, and
	// at the default cost each checked password takes a second under the race detector.
	// CheckPassword reads the cost from the hash, so sign-in runs the same code.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Users().SetPasswordHash(t.Context(), u.ID, string(hash)); err != nil {
		t.Fatal(err)
	}
}

// TestLoginThrottleDefaults is the reported attack with the frontend's defaults: 30
// wrong passwords in a row, then the right one, which must not work at once.
func TestLoginThrottleDefaults(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	withPassword(t, e, "alice", "correct horse battery")
	withPassword(t, e, "bob", "bob's good password")
	limit := auth.DefaultLoginThrottle.PerUser

	var statuses []int
	for range 30 {
		code, _ := signIn(t, e.Server.URL, "alice", "wrong password")
		statuses = append(statuses, code)
	}
	for i, code := range statuses {
		want := http.StatusUnauthorized
		if i >= limit {
			want = http.StatusTooManyRequests
		}
		if code != want {
			t.Fatalf("attempt %d: status %d, want %d (all: %v)", i+1, code, want, statuses)
		}
	}
	code, retry := signIn(t, e.Server.URL, "ALICE", "correct horse battery") // user names are case-insensitive here
	secs, _ := strconv.Atoi(retry)
	if code != http.StatusTooManyRequests || secs < 1 || secs > int(auth.DefaultLoginThrottle.Window.Seconds()) {
		t.Fatalf("right password after 30 failures: status %d Retry-After %q, want 429 within the window", code, retry)
	}
	// Another user at the same address is not locked out by alice's failures.
	if code, _ := signIn(t, e.Server.URL, "bob", "bob's good password"); code != http.StatusOK {
		t.Fatalf("bob after alice's failures: %d", code)
	}
}

func TestLoginThrottlePerAddressAndAcrossFrontends(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	withPassword(t, e, "carol", "carol's password")
	// A second frontend on the same database, with a logger the test reads.
	logger, logs := logtest.Captured(t)
	second := httptest.NewServer(http.HandlerFunc((&auth.Authenticator{Store: e.Store, Logger: logger}).Login))
	t.Cleanup(second.Close)

	// Guessing many user names from one address, alternating between the frontends:
	// the per-address limit counts them all.
	perAddr := auth.DefaultLoginThrottle.PerAddress
	for i := range perAddr {
		url := e.Server.URL
		if i%2 == 1 {
			url = second.URL
		}
		if code, _ := signIn(t, url, fmt.Sprintf("user%d", i), "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i+1, code)
		}
	}
	if code, retry := signIn(t, second.URL, "carol", "carol's password"); code != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("sign-in from an address past its limit: %d %q, want 429 with Retry-After", code, retry)
	}
	var failed, refused int
	for _, l := range logs() {
		switch l.Message {
		case "sign-in failed":
			failed++
			if l.Fields["addr"] == "" || l.Fields["username"] == "" {
				t.Fatalf("failure logged without who and where: %+v", l.Fields)
			}
		case "sign-in refused: too many failures":
			refused++
		}
	}
	if failed != perAddr/2 || refused != 1 {
		t.Fatalf("second frontend logged %d failures and %d refusals, want %d and 1", failed, refused, perAddr/2)
	}
}

func TestLoginThrottleSuccessAndConcurrency(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	withPassword(t, e, "dave", "dave's password")
	limit := auth.DefaultLoginThrottle.PerUser

	// A success clears the user name's failures: limit-1 failures, a success, limit-1
	// failures again are all answered.
	for round := range 2 {
		for range limit - 1 {
			if code, _ := signIn(t, e.Server.URL, "dave", "nope"); code != http.StatusUnauthorized {
				t.Fatalf("round %d: status %d, want 401", round, code)
			}
		}
		if round == 0 {
			if code, _ := signIn(t, e.Server.URL, "dave", "dave's password"); code != http.StatusOK {
				t.Fatalf("sign-in below the limit: %d", code)
			}
		}
	}
	// Concurrent guesses cannot slip past the limit together: one attempt is left.
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := signIn(t, e.Server.URL, "dave", "nope")
			mu.Lock()
			counts[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[http.StatusUnauthorized] != 1 || counts[http.StatusTooManyRequests] != 29 {
		t.Fatalf("30 concurrent guesses with one attempt left: %v, want one checked and 29 refused", counts)
	}
	if code, _ := signIn(t, e.Server.URL, "dave", "dave's password"); code != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", code)
	}
}

func TestLoginThrottleWindowEnds(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	withPassword(t, e, "erin", "erin's password")
	// The default limits and window. The window's end is reached by moving its start back
	// in the database (the clock the throttle reads), not by sleeping through it, so slow
	// sign-ins under load cannot end it early.
	th := auth.DefaultLoginThrottle
	srv := httptest.NewServer(http.HandlerFunc((&auth.Authenticator{Store: e.Store, Logger: logtest.Scoped(t), Throttle: &th}).Login))
	t.Cleanup(srv.Close)

	for range th.PerUser {
		if code, _ := signIn(t, srv.URL, "erin", "nope"); code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", code)
		}
	}
	if code, retry := signIn(t, srv.URL, "erin", "erin's password"); code != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("right password past the limit: %d %q, want 429", code, retry)
	}
	// One second before the window ends it still holds; once it has ended it lets the
	// right password through.
	shiftWindows := func(by time.Duration) {
		t.Helper()
		if _, err := e.DB.Exec(context.Background(), "UPDATE login_failures SET window_start = window_start - $1::interval", by.String()); err != nil {
			t.Fatal(err)
		}
	}
	shiftWindows(th.Window - time.Minute)
	if code, _ := signIn(t, srv.URL, "erin", "erin's password"); code != http.StatusTooManyRequests {
		t.Fatalf("right password a minute before the window ends: %d, want 429", code)
	}
	shiftWindows(time.Minute + time.Second)
	if code, _ := signIn(t, srv.URL, "erin", "erin's password"); code != http.StatusOK {
		t.Fatalf("right password after the window: %d, want 200", code)
	}
}

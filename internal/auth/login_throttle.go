package auth

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/store"
)

// LoginThrottle bounds failed sign-ins (POST /.auth/login) per user name and per
// client address: past Per... failures within Window of a key's first failure, every
// attempt with that key is refused with 429 and Retry-After until the window ends,
// without its password being checked, so a right password guessed late is refused
// too. A successful sign-in clears its user name's failures.
//
// The counts live in Postgres (store.LoginFailureStore): several frontends behind one
// load balancer share them, and a restart does not reset them, while a sign-in costs
// one more small upsert. Every attempt is counted before its password is checked, so
// concurrent guesses cannot slip past a check made before any of them was counted.
//
// The client address is the connection's (RemoteAddr): behind a reverse proxy every
// client shares the proxy's address and the per-address limit applies to them
// together, which is why it is higher than the per-user one.
type LoginThrottle struct {
	PerUser    int
	PerAddress int
	Window     time.Duration
}

// DefaultLoginThrottle is the throttle of the frontend.
var DefaultLoginThrottle = LoginThrottle{PerUser: 10, PerAddress: 50, Window: 15 * time.Minute}

// loginKeys are the throttle's keys of an attempt, with their limits.
func (t LoginThrottle) keys(username, addr string) []throttleKey {
	return []throttleKey{
		{key: "user:" + strings.ToLower(strings.TrimSpace(username)), limit: t.PerUser, what: "this user name"},
		{key: "addr:" + addr, limit: t.PerAddress, what: "this address"},
	}
}

type throttleKey struct {
	key, what string
	limit     int
}

// attempt counts an attempt of every key and returns how long the attempt must wait,
// and for which key, when one of them is past its limit (0 when it may go on).
func (t LoginThrottle) attempt(ctx context.Context, st *store.Store, username, addr string) (time.Duration, string, []int, error) {
	var wait time.Duration
	var what string
	counts := make([]int, 0, 2)
	for _, k := range t.keys(username, addr) {
		n, end, err := st.LoginFailures().Attempt(ctx, k.key, t.Window)
		if err != nil {
			return 0, "", nil, err
		}
		counts = append(counts, n)
		if n > k.limit {
			if w := time.Until(end); w > wait {
				wait, what = max(w, time.Second), k.what
			}
		}
	}
	return wait, what, counts, nil
}

// succeeded clears the user name's failures and takes back the address's count of
// this attempt.
func (t LoginThrottle) succeeded(ctx context.Context, st *store.Store, username, addr string) error {
	keys := t.keys(username, addr)
	if err := st.LoginFailures().Reset(ctx, keys[0].key); err != nil {
		return err
	}
	return st.LoginFailures().Forgive(ctx, keys[1].key)
}

// clientAddr is the IP address of the request's connection.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func retryAfterSeconds(d time.Duration) string {
	return fmt.Sprint(int(math.Ceil(d.Seconds())))
}

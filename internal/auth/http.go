package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

const (
	// SessionCookie holds the web app's session token.
	SessionCookie = "lookout_session"
	// CSRFHeader must carry the session's CSRF token on every state-changing request made
	// with the session cookie. Token-authenticated requests do not need it.
	CSRFHeader = "X-Lookout-CSRF"
	// SessionTTL is how long a web session lasts.
	SessionTTL = 30 * 24 * time.Hour
)

// Authenticator turns request credentials into an actor on the request context.
type Authenticator struct {
	Store         *store.Store
	Logger        log.Logger
	SecureCookies bool // set when served over HTTPS
	// Throttle limits failed sign-ins; nil is DefaultLoginThrottle.
	Throttle *LoginThrottle
}

// Middleware sets the actor from `Authorization: token <t>` (or `Bearer <t>`), or from
// the session cookie. A bad token is rejected with 401 rather than silently treated as
// anonymous, so scripts notice a revoked token at once.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			actor, err := a.actorFromAuthorization(ctx, h)
			if err != nil {
				errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, err.Error())
				return
			}
			next.ServeHTTP(w, r.WithContext(WithActor(ctx, actor)))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			sess, err := a.Store.Sessions().Lookup(ctx, c.Value)
			switch {
			case errors.Is(err, store.ErrNotFound):
				http.SetCookie(w, a.cookie("", -1))
			case err != nil:
				a.Logger.Error("looking up session", log.Error(err))
				errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
				return
			default:
				if !safeMethod(r.Method) && !ConstantTimeEqual(r.Header.Get(CSRFHeader), sess.CSRFToken) {
					errcode.WriteHTTP(w, http.StatusForbidden, errcode.Forbidden, "missing or wrong "+CSRFHeader+" header for a cookie-authenticated request")
					return
				}
				actor, err := ActorForUser(ctx, a.Store, sess.UserID)
				if err == nil {
					ctx = WithActor(ctx, actor)
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (a *Authenticator) actorFromAuthorization(ctx context.Context, header string) (*Actor, error) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(header), " ")
	value = strings.TrimSpace(value)
	if !ok || value == "" || (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) {
		return nil, errors.New(`malformed Authorization header: want "token <access token>"`)
	}
	tok, err := a.Store.AccessTokens().Lookup(ctx, value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("invalid access token")
	}
	if err != nil {
		a.Logger.Error("looking up access token", log.Error(err))
		return nil, errors.New("could not check the access token")
	}
	return ActorForUser(ctx, a.Store, tok.UserID)
}

func (a *Authenticator) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode}
}

type sessionInfo struct {
	Username  string `json:"username"`
	CSRFToken string `json:"csrfToken"`
}

// Login handles POST /.auth/login {"username","password"}: on success it sets the session
// cookie and returns the CSRF token the web app must echo in the CSRF header.
func (a *Authenticator) Login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		errcode.WriteHTTP(w, http.StatusMethodNotAllowed, errcode.BadInput, "use POST")
		return
	}
	var body struct{ Username, Password string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		errcode.WriteHTTP(w, http.StatusBadRequest, errcode.BadInput, "body must be JSON {\"username\": ..., \"password\": ...}")
		return
	}
	ctx := r.Context()
	throttle := DefaultLoginThrottle
	if a.Throttle != nil {
		throttle = *a.Throttle
	}
	addr := clientAddr(r)
	wait, what, counts, err := throttle.attempt(ctx, a.Store, body.Username, addr)
	if err != nil {
		a.Logger.Error("counting a sign-in attempt", log.Error(err))
		errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
		return
	}
	if wait > 0 {
		a.Logger.Warn("sign-in refused: too many failures", log.String("username", body.Username), log.String("addr", addr),
			log.Int("userFailures", counts[0]), log.Int("addrFailures", counts[1]), log.Duration("retryAfter", wait))
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		errcode.WriteHTTP(w, http.StatusTooManyRequests, errcode.RateLimited,
			fmt.Sprintf("too many failed sign-ins for %s; try again in %s", what, wait.Round(time.Second)))
		return
	}
	u, err := a.Store.Users().GetByUsername(ctx, body.Username)
	if err != nil || !CheckPassword(u.PasswordHash, body.Password) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.Logger.Error("login lookup", log.Error(err))
		}
		a.Logger.Warn("sign-in failed", log.String("username", body.Username), log.String("addr", addr),
			log.Int("userFailures", counts[0]), log.Int("addrFailures", counts[1]))
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, "wrong username or password")
		return
	}
	if err := throttle.succeeded(ctx, a.Store, body.Username, addr); err != nil {
		a.Logger.Error("clearing sign-in failures", log.Error(err))
	}
	token, csrf := NewSecret(32), NewSecret(16)
	if _, err := a.Store.Sessions().Create(ctx, u.ID, token, csrf, SessionTTL); err != nil {
		a.Logger.Error("creating session", log.Error(err))
		errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
		return
	}
	http.SetCookie(w, a.cookie(token, int(SessionTTL.Seconds())))
	writeJSON(w, sessionInfo{Username: u.Username, CSRFToken: csrf})
}

// Logout handles POST /.auth/logout.
func (a *Authenticator) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := a.Store.Sessions().Delete(r.Context(), c.Value); err != nil {
			a.Logger.Error("deleting session", log.Error(err))
		}
	}
	http.SetCookie(w, a.cookie("", -1))
	w.WriteHeader(http.StatusNoContent)
}

// Session handles GET /.auth/session: the signed-in user and CSRF token, for a web app
// reloading with a session cookie it cannot read.
func (a *Authenticator) Session(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, "no session")
		return
	}
	sess, err := a.Store.Sessions().Lookup(r.Context(), c.Value)
	if err != nil {
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, "no session")
		return
	}
	u, err := a.Store.Users().GetByID(r.Context(), sess.UserID)
	if err != nil {
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, "no session")
		return
	}
	writeJSON(w, sessionInfo{Username: u.Username, CSRFToken: sess.CSRFToken})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

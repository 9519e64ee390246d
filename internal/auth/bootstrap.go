package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/lookout/lookout/internal/store"
)

// EnsureSiteAdmin creates the first site admin when none exists. With an empty password
// one is generated and returned so the caller can show it once. created is false when a
// site admin already existed (nothing changes then).
func EnsureSiteAdmin(ctx context.Context, st *store.Store, username, password, email string) (created bool, generatedPassword string, err error) {
	n, err := st.Users().CountSiteAdmins(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		password = NewSecret(12)
		generatedPassword = password
	}
	hash, err := HashPassword(password)
	if err != nil {
		return false, "", fmt.Errorf("ADMIN_PASSWORD: %w", err)
	}
	_, err = st.Users().Create(ctx, store.NewUser{Username: username, Email: email, EmailVerified: email != "", SiteAdmin: true, PasswordHash: hash})
	if errors.Is(err, store.ErrNameTaken) {
		// Another frontend starting at the same moment won the race, or a non-admin user
		// has that name: promote nobody silently, say what happened.
		if n, cerr := st.Users().CountSiteAdmins(ctx); cerr == nil && n > 0 {
			return false, "", nil
		}
		return false, "", fmt.Errorf("cannot create site admin %q: the name is taken by a user who is not a site admin", username)
	}
	if err != nil {
		return false, "", err
	}
	return true, generatedPassword, nil
}

// CreateTokenForUser creates an access token for username (used by `frontend admin
// create-token` for scripts and set-up).
func CreateTokenForUser(ctx context.Context, st *store.Store, username, note string) (string, error) {
	u, err := st.Users().GetByUsername(ctx, username)
	if err != nil {
		return "", err
	}
	scopes := []string{ScopeUserAll}
	value := NewToken()
	if _, err := st.AccessTokens().Create(ctx, u.ID, u.ID, value, note, scopes); err != nil {
		return "", err
	}
	return value, nil
}

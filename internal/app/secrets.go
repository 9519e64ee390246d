package app

import (
	"context"
	"fmt"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/redact"
	"github.com/lookout/lookout/internal/store"
)

// UpgradeStoredSecrets brings what earlier versions stored up to today's rules on secrets;
// the frontend runs it after the migrations, at every start (it is idempotent, and a
// no-op once done). It is Go, not a SQL migration, because configs may be encrypted with
// ENCRYPTION_KEY and must be parsed.
//
//   - Code host configs with credentials in URLs (GIT remotes like http://TOKEN@host/r.git,
//     accepted until they were refused): the URLs lose them; the credential moves to the
//     config's "token"/"username" when unambiguous, else it is dropped and the connection
//     flagged (its last sync error says what to set, and a warning is logged).
//   - Repository URIs and clone URLs with userinfo, which every user could read: cleaned.
//   - Secrets stored in plain text (before ENCRYPTION_KEY was set, or Slack URLs before
//     they were encrypted): encrypted when a key is set.
func UpgradeStoredSecrets(ctx context.Context, st *store.Store, logger log.Logger) error {
	logger = logger.Scoped("secrets")
	svcs, err := st.ExternalServices().ListAllConfigs(ctx)
	if err != nil {
		return fmt.Errorf("reading code host connections: %w", err)
	}
	for _, svc := range svcs {
		fix, err := codehost.MoveURLCredentials(codehost.Kind(svc.Kind), []byte(svc.Config))
		if err != nil {
			logger.Warn("cannot check a code host connection for credentials in URLs", log.Int64("id", svc.ID), log.Error(err))
			continue
		}
		if fix == nil {
			continue
		}
		if err := st.ExternalServices().RewriteConfig(ctx, svc.ID, string(fix.Config), fix.Problem); err != nil {
			return fmt.Errorf("removing credentials from the URLs of code host connection %d: %w", svc.ID, err)
		}
		fields := log.Strings("fields", fix.Fields)
		if fix.Moved {
			logger.Info("moved credentials from URLs into the connection's credential fields", log.Int64("id", svc.ID), log.String("name", svc.DisplayName), fields)
		} else {
			logger.Warn(fix.Problem, log.Int64("id", svc.ID), log.String("name", svc.DisplayName), fields)
		}
	}
	n, err := st.StripURLUserinfo(ctx, redact.StripUserinfo)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("removed credentials from stored repository URLs", log.Int("count", n))
	}
	encrypted, err := st.EncryptPlaintextSecrets(ctx)
	if err != nil {
		return err
	}
	for col, n := range encrypted {
		logger.Info("encrypted secrets stored in plain text", log.String("column", col), log.Int("count", n))
	}
	return nil
}

// Package webhooks receives code host webhooks at /.api/webhooks/{host}. A delivery is
// accepted only when it verifies against the webhook secret of a connection of that
// host; a push queues a fetch of the repositories it names at once (so monitors run within
// seconds), and pull request, review and status events go to the changeset tracker.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// PathKinds maps the path segment of each endpoint to its code host kind.
var PathKinds = map[string]codehost.Kind{
	"github":           codehost.KindGitHub,
	"gitlab":           codehost.KindGitLab,
	"gitea":            codehost.KindGitea,
	"bitbucket-server": codehost.KindBitbucketServer,
	"git":              codehost.KindGit,
}

// MaxBodyBytes bounds a delivery (GitHub caps payloads at 25 MB).
const MaxBodyBytes = 25 << 20

// ChangesetEventFunc handles pull request, review and status events of a verified
// connection (campaign changeset tracking).
type ChangesetEventFunc func(ctx context.Context, svc *store.ExternalService, ev codehost.Event) error

// Handler serves POST /.api/webhooks/{host}.
type Handler struct {
	Store  *store.Store
	Logger log.Logger
	// ChangesetEvents, when set, receives non-push events.
	ChangesetEvents ChangesetEventFunc
}

// Pattern is the ServeMux pattern the handler is registered under.
const Pattern = "/.api/webhooks/{host}"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		errcode.WriteHTTP(w, http.StatusMethodNotAllowed, errcode.BadInput, "webhooks are delivered with POST")
		return
	}
	kind, ok := PathKinds[r.PathValue("host")]
	if !ok {
		errcode.WriteHTTP(w, http.StatusNotFound, errcode.NotFound, "unknown code host; webhook endpoints are github, gitlab, gitea, bitbucket-server and git")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		errcode.WriteHTTP(w, http.StatusRequestEntityTooLarge, errcode.BadInput, "payload too large")
		return
	}
	ctx := r.Context()
	verified, err := h.verify(ctx, kind, r.Header, body)
	if err != nil {
		h.Logger.Error("verifying webhook", log.Error(err))
		errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
		return
	}
	if len(verified) == 0 {
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, "the delivery's signature does not match the webhook secret of any "+string(kind)+" connection")
		return
	}

	ev, err := codehost.ParseWebhook(kind, r.Header, body)
	if errors.Is(err, codehost.ErrUnknownEvent) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		errcode.WriteHTTP(w, http.StatusBadRequest, errcode.BadInput, "malformed payload: "+err.Error())
		return
	}
	switch ev := ev.(type) {
	case *codehost.PushEvent:
		n, err := h.push(ctx, verified, ev)
		if err != nil {
			h.Logger.Error("queueing fetches for a push", log.Error(err))
			errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"fetchesQueued": n})
	default:
		if h.ChangesetEvents == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for _, svc := range verified {
			if err := h.ChangesetEvents(ctx, svc, ev); err != nil {
				h.Logger.Error("handling changeset event", log.Error(err))
				errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
				return
			}
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// verify returns the connections of kind whose secret verifies the delivery.
func (h *Handler) verify(ctx context.Context, kind codehost.Kind, headers http.Header, body []byte) ([]*store.ExternalService, error) {
	svcs, err := h.Store.ExternalServices().ListByKind(ctx, string(kind))
	if err != nil {
		return nil, err
	}
	var out []*store.ExternalService
	for _, svc := range svcs {
		cfg, err := codehost.ParseConfig(kind, []byte(svc.Config))
		if err != nil || cfg.Secret() == "" {
			continue
		}
		if codehost.VerifyWebhook(kind, cfg.Secret(), headers, body) == nil {
			out = append(out, svc)
		}
	}
	return out, nil
}

func (h *Handler) push(ctx context.Context, svcs []*store.ExternalService, ev *codehost.PushEvent) (int, error) {
	ids := make([]int64, len(svcs))
	for i, s := range svcs {
		ids[i] = s.ID
	}
	var names, externalIDs []string
	if ev.Repo.Name != "" {
		names = append(names, ev.Repo.Name)
	}
	if ev.Repo.ExternalID != "" {
		externalIDs = append(externalIDs, ev.Repo.ExternalID)
	}
	repos, err := h.Store.Repos().FindForWebhook(ctx, ids, names, ev.Repo.CloneURLs, externalIDs)
	if err != nil {
		return 0, err
	}
	for _, repo := range repos {
		if err := h.Store.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
			return 0, err
		}
	}
	return len(repos), nil
}

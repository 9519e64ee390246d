// Package webhooks receives code host webhooks at /.api/webhooks/{host}. A delivery is
// accepted only when it verifies against the webhook secret of a connection of that
// host; a push queues a fetch of the repositories it names at once (so monitors run within
// seconds), and pull request, review and status events go to the changeset tracker.
//
// The endpoint is open to anyone, so what a delivery may cost before it is verified is
// bounded. Everything that can be checked without the body is checked first: the
// signature header's form, that some connection of the host has a secret, and GitLab's
// token (which is the secret itself). Only then is the body read, into a buffer of its
// declared size that is reserved from a byte budget shared by all deliveries
// (Handler.Budget, WEBHOOKS_MAX_BYTES_IN_FLIGHT). A delivery that does not fit is refused
// with 503 and Retry-After before any of its bytes are read, so a burst of large
// forged deliveries holds at most the budget in memory, and the heap goes back to the
// operating system when the burst is over (see release).
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/throttle"
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

// DefaultBytesInFlight is the default budget of delivery bytes held at once: two
// deliveries of the largest size, or thousands of ordinary pushes (a few KB each).
const DefaultBytesInFlight = 64 << 20

// RetryAfter is what a delivery refused for want of budget is told to wait.
const RetryAfter = 10 * time.Second

// ChangesetEventFunc handles pull request, review and status events of a verified
// connection (campaign changeset tracking).
type ChangesetEventFunc func(ctx context.Context, svc *store.ExternalService, ev codehost.Event) error

// Handler serves POST /.api/webhooks/{host}.
type Handler struct {
	Store  *store.Store
	Logger log.Logger
	// ChangesetEvents, when set, receives non-push events.
	ChangesetEvents ChangesetEventFunc
	// Budget bounds the bytes of deliveries read at once; nil is a budget of
	// DefaultBytesInFlight.
	Budget *throttle.Budget

	budgetOnce sync.Once
	freeMu     sync.Mutex
	sinceFree  int64     // bytes read since the heap was last handed back
	lastFree   time.Time // when it was
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
	ctx := r.Context()
	// What needs no body first: a delivery without a well-formed signature, or to a
	// host no connection has a secret for, is refused unread.
	unauthorized := func(why string) {
		errcode.WriteHTTP(w, http.StatusUnauthorized, errcode.Unauthenticated, why)
	}
	if err := codehost.CheckWebhookHeaders(kind, r.Header); err != nil {
		unauthorized("the delivery is not signed as " + string(kind) + " signs deliveries: " + err.Error())
		return
	}
	cands, err := h.candidates(ctx, kind, r.Header)
	if err != nil {
		h.Logger.Error("listing webhook secrets", log.Error(err))
		errcode.WriteHTTP(w, http.StatusInternalServerError, errcode.Internal, "internal server error")
		return
	}
	if len(cands) == 0 {
		unauthorized("the delivery's signature does not match the webhook secret of any " + string(kind) + " connection")
		return
	}

	body, done, status, msg := h.readBody(w, r)
	if status != 0 {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
			errcode.WriteHTTP(w, status, errcode.RateLimited, msg)
			return
		}
		errcode.WriteHTTP(w, status, errcode.BadInput, msg)
		return
	}
	defer done()
	var verified []*store.ExternalService
	for _, c := range cands {
		if codehost.VerifyWebhook(kind, c.secret, r.Header, body) == nil {
			verified = append(verified, c.svc)
		}
	}
	if len(verified) == 0 {
		unauthorized("the delivery's signature does not match the webhook secret of any " + string(kind) + " connection")
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

type candidate struct {
	svc    *store.ExternalService
	secret string
}

// candidates returns the connections of kind that have a webhook secret. GitLab's
// token is the secret itself, so for GitLab only the connections it matches are kept:
// a wrong token is refused before the body is read.
func (h *Handler) candidates(ctx context.Context, kind codehost.Kind, headers http.Header) ([]candidate, error) {
	svcs, err := h.Store.ExternalServices().ListByKind(ctx, string(kind))
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, svc := range svcs {
		cfg, err := codehost.ParseConfig(kind, []byte(svc.Config))
		if err != nil || cfg.Secret() == "" {
			continue
		}
		if kind == codehost.KindGitLab && codehost.VerifyWebhook(kind, cfg.Secret(), headers, nil) != nil {
			continue
		}
		out = append(out, candidate{svc: svc, secret: cfg.Secret()})
	}
	return out, nil
}

func (h *Handler) budget() *throttle.Budget {
	h.budgetOnce.Do(func() {
		if h.Budget == nil {
			h.Budget = throttle.NewBudget(DefaultBytesInFlight)
		}
	})
	return h.Budget
}

// readChunk is how much of a body of undeclared length is reserved and read at a time.
const readChunk = 64 << 10

// readBody reads the body within the byte budget. A declared length is reserved whole
// before anything is read, into a buffer of exactly that size; a chunked body reserves
// as it grows. It returns the body and the function that gives its bytes back, or an
// HTTP status and message: 413 over MaxBodyBytes, 503 when the budget is spent.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, func(), int, string) {
	budget := h.budget()
	busy := fmt.Sprintf("too many webhook deliveries are being read at once (%d MiB in flight); retry in %s", budget.Limit()>>20, RetryAfter)
	tooLarge := fmt.Sprintf("payload too large (limit %d MiB)", MaxBodyBytes>>20)
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if n := r.ContentLength; n >= 0 {
		if n > MaxBodyBytes {
			return nil, nil, http.StatusRequestEntityTooLarge, tooLarge
		}
		if !budget.TryReserve(n) {
			return nil, nil, http.StatusServiceUnavailable, busy
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(body, buf); err != nil {
			budget.Release(n)
			return nil, nil, http.StatusBadRequest, "reading the payload: " + err.Error()
		}
		return buf, func() { h.release(n) }, 0, ""
	}
	var buf []byte
	var reserved int64
	for {
		if !budget.TryReserve(readChunk) {
			h.release(reserved)
			return nil, nil, http.StatusServiceUnavailable, busy
		}
		reserved += readChunk
		buf = slices.Grow(buf, readChunk)
		n, err := body.Read(buf[len(buf):cap(buf)][:readChunk])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, func() { h.release(reserved) }, 0, ""
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.release(reserved)
			return nil, nil, http.StatusRequestEntityTooLarge, tooLarge
		}
		if err != nil {
			h.release(reserved)
			return nil, nil, http.StatusBadRequest, "reading the payload: " + err.Error()
		}
	}
}

// freeAfter is how many bytes of deliveries, read since the heap was last handed back,
// make the end of a burst return it to the operating system at once.
const freeAfter = 32 << 20

// release gives a delivery's bytes back to the budget. When the budget empties after
// large deliveries (a burst is over), the freed heap is returned to the operating
// system now rather than over the runtime scavenger's minutes, at most every few
// seconds: a burst must not leave the process at its peak size.
func (h *Handler) release(n int64) {
	budget := h.budget()
	budget.Release(n)
	h.freeMu.Lock()
	h.sinceFree += n
	free := h.sinceFree >= freeAfter && budget.InUse() == 0 && time.Since(h.lastFree) > 2*time.Second
	if free {
		h.sinceFree, h.lastFree = 0, time.Now()
	}
	h.freeMu.Unlock()
	if free {
		go debug.FreeOSMemory()
	}
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

package codemonitors_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/notify/notifytest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

// The SMTP server that email actions send to.
type mailbox = notifytest.Mailbox

var startSMTP = notifytest.StartSMTP

// receiver is a webhook endpoint that keeps every delivery.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []delivery
	// status answers deliveries (204 when zero).
	status int
}

type delivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

func startReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: b, at: time.Now()})
		status := rc.status
		rc.mu.Unlock()
		if status == 0 {
			status = http.StatusNoContent
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// newNotifier sends email to mb and lets webhooks reach 127.0.0.1.
func newNotifier(t *testing.T, mb *mailbox) *notify.Notifier {
	t.Helper()
	cfg := notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}}
	if mb != nil {
		cfg.SMTP = mb.SMTPConfig()
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// env is a running API with a worker running the repository and code monitor routines.
type env struct {
	api      *apitest.Env
	st       *store.Store
	notifier *notify.Notifier
}

func startEnv(t *testing.T, mb *mailbox) *env {
	t.Helper()
	n := newNotifier(t, mb)
	key, err := encryption.NewKey("codemonitors-test-encryption-key")
	if err != nil {
		t.Fatal(err)
	}
	// Secrets at rest are encrypted, as with ENCRYPTION_KEY: deliveries read them back.
	api := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }, EncryptionKey: key})
	e := &env{api: api, st: api.Store, notifier: n}
	renv := repostest.Env(t, api.DB)
	push := codemonitors.NewPushListener(e.st, renv.Logger)
	svc := repostest.Start(t, api.DB, push.OnChange)
	cm, err := codemonitors.Routines(renv, codemonitors.Options{
		Store: e.st, Search: search.NewService(e.st, svc, nil, renv.Logger, search.Options{}), Mirrors: svc, Notifier: n,
		ExternalURL: "http://lookout.test", EnqueueInterval: 200 * time.Millisecond, WorkerPollInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	repostest.StartRoutines(t, cm...)
	return e
}

// addLocalRepo connects a local repository and waits until it is cloned. The connection
// is stored in plain text, which the repository routines (started without the key) read.
func (e *env) addLocalRepo(t *testing.T, dir string) *store.Repo {
	return repostest.AddLocalRepo(t, store.New(e.api.DB), dir)
}

var waitFor = repostest.WaitFor

func userID(id int64) string { return string(relay.MarshalID("User", id)) }

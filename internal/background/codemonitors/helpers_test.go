package codemonitors_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

// mailbox is an SMTP server (emersion/go-smtp) on 127.0.0.1 that keeps what it accepts.
type mailbox struct {
	port  int
	mu    sync.Mutex
	mails []mail
}

type mail struct {
	from, to string
	data     string
}

func (m *mailbox) all() []mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail(nil), m.mails...)
}

func startSMTP(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close(); <-done })
	return mb
}

type session struct {
	mb   *mailbox
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	for _, to := range s.to {
		s.mb.mails = append(s.mb.mails, mail{from: s.from, to: to, data: string(b)})
	}
	return nil
}
func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

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
		cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: mb.port, From: "Lookout <lookout@example.com>", TLS: notify.TLSNone, Timeout: 10 * time.Second}
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
	api := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }})
	e := &env{api: api, st: api.Store, notifier: n}
	renv := repostest.Env(t, api.DB)
	push := codemonitors.NewPushListener(renv.Logger)
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

// addLocalRepo connects a local repository and waits until it is cloned.
func (e *env) addLocalRepo(t *testing.T, dir string) *store.Repo {
	return repostest.AddLocalRepo(t, e.st, dir)
}

var waitFor = repostest.WaitFor

func userID(id int64) string { return string(relay.MarshalID("User", id)) }

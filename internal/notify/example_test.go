package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/notify"
)

// A binary builds one Notifier from the environment; the action worker sends with it and
// maps permanent failures to non-retryable job errors.
func Example() {
	cfg, err := notify.ConfigFromEnv(env.Get)
	if err != nil {
		panic(err) // a binary reports the configuration error and exits
	}
	n, err := notify.New(cfg)
	if err != nil {
		panic(err)
	}
	msg := notify.Notification{
		Kind:               notify.CodeMonitorResults,
		MonitorDescription: "Secrets committed to main",
		MonitorURL:         "https://lookout.example.com/code-monitoring/Q29kZU1vbml0b3I6MQ==",
		SearchURL:          "https://lookout.example.com/search?q=type%3Adiff+secret",
		Query:              "type:diff secret",
		ResultCount:        1,
		IncludeResults:     true,
		Results:            []notify.Result{{Repository: "github.com/acme/api", Commit: "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", Diff: "..."}},
	}
	// The delivery ID is stable for one action job, so a retry is recognisable.
	err = n.SendWebhook(context.Background(), notify.Webhook{URL: "https://hooks.example.com/lookout", Secret: "secret shown once"}, "cm-action-42", msg)
	var status *notify.StatusError
	switch {
	case err == nil:
	case notify.IsPermanent(err):
		// The action handler returns workerutil.NonRetryable(err): the job fails at once.
	case errors.As(err, &status) && status.RetryAfter > 0:
		// The handler returns workerutil.RequeueAfter(status.RetryAfter).
	default:
		// The handler returns err and the queue retries the job.
	}
}

// A receiver verifies the signature over the raw body before parsing it.
func ExampleVerifySignature() {
	secret := "secret shown once"
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := notify.VerifySignature(secret, body, r.Header.Get(notify.SignatureHeader)); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Drop repeats: r.Header.Get(notify.DeliveryHeader) is the same on a retry.
		w.WriteHeader(http.StatusNoContent)
	}
	_ = handler

	body := []byte(`{"monitorDescription":"x"}`)
	fmt.Println(notify.VerifySignature(secret, body, notify.Sign(secret, body)))
	fmt.Println(notify.VerifySignature("other", body, notify.Sign(secret, body)))
	// Output:
	// <nil>
	// webhook signature does not match
}

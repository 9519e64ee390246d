package resolvers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/background/codemonitors/cmsearch"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Inputs of the code monitor mutations.
type (
	MonitorInput struct {
		Namespace   graphql.ID
		Description string
		Enabled     bool
	}
	MonitorEditInput struct {
		ID     graphql.ID
		Update MonitorInput
	}
	MonitorTriggerInput     struct{ Query string }
	MonitorEditTriggerInput struct {
		ID     graphql.ID
		Update MonitorTriggerInput
	}
	MonitorEmailInput struct {
		Enabled        bool
		IncludeResults bool
		Priority       string
		Recipients     []graphql.ID
		Header         string
	}
	MonitorWebhookInput struct {
		Enabled        bool
		IncludeResults bool
		URL            string
	}
	MonitorSlackWebhookInput = MonitorWebhookInput
	MonitorActionInput       struct {
		Email        *MonitorEmailInput
		Webhook      *MonitorWebhookInput
		SlackWebhook *MonitorSlackWebhookInput
	}
	MonitorEditEmailInput struct {
		ID     *graphql.ID
		Update MonitorEmailInput
	}
	MonitorEditWebhookInput struct {
		ID     *graphql.ID
		Update MonitorWebhookInput
	}
	MonitorEditActionInput struct {
		Email        *MonitorEditEmailInput
		Webhook      *MonitorEditWebhookInput
		SlackWebhook *MonitorEditWebhookInput
	}
)

// Limits of monitor input.
const (
	maxMonitorDescription = 1000
	maxEmailHeader        = 2000
	maxMonitorActions     = 50
	maxEmailRecipients    = 100
)

// checkDescription returns the trimmed description or a BAD_USER_INPUT error.
func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if d == "" {
		return "", errcode.New(errcode.BadInput, "the description must not be empty")
	}
	if utf8.RuneCountInString(d) > maxMonitorDescription {
		return "", errcode.New(errcode.BadInput, "the description must be at most %d characters", maxMonitorDescription)
	}
	return d, nil
}

// checkMonitorQuery parses a trigger query: InvalidQuery with the parser's message.
func checkMonitorQuery(q string) (query.Plan, error) {
	plan, err := cmsearch.ParseQuery(q, time.Now())
	if err != nil {
		return nil, errcode.Wrap(InvalidQuery, err)
	}
	return plan, nil
}

// monitorOwner decodes the namespace of a monitor: it must be a live user the actor may
// administer (the actor, or anyone for site admins), since a monitor searches as its owner.
func (r *Resolver) monitorOwner(ctx context.Context, id graphql.ID) (*store.User, error) {
	ns, err := namespaceByID(id)
	if err != nil {
		return nil, err
	}
	if ns.UserID == 0 {
		return nil, errcode.New(errcode.BadInput, "code monitors are owned by users: the namespace must be a user ID")
	}
	if err := r.checkCanAdministerNamespace(ctx, ns); err != nil {
		return nil, err
	}
	u, err := r.Store.Users().GetByID(ctx, ns.UserID)
	if err != nil {
		return nil, storeErr(err)
	}
	return u, nil
}

// checkURL applies the outgoing URL rules to a webhook or Slack URL being saved. A host
// that does not resolve now is accepted: the rules apply again at every send.
func (r *Resolver) checkURL(ctx context.Context, raw string, slack bool) (string, error) {
	raw = strings.TrimSpace(raw)
	var err error
	if slack {
		err = r.Notifier.ValidateSlackURL(ctx, raw)
	} else {
		err = r.Notifier.ValidateWebhookURL(ctx, raw)
	}
	switch {
	case err == nil:
	case errors.Is(err, notify.ErrInvalidURL), errors.Is(err, notify.ErrForbiddenAddress), errors.Is(err, notify.ErrInvalidSlackURL):
		return "", errcode.Wrap(errcode.BadInput, err)
	default:
		r.Logger.Warn("could not check an action URL; accepting it", log.Error(err))
	}
	return raw, nil
}

// checkEmail validates an email action and resolves its recipients, which must be
// namespaces the actor may administer (yourself, or organizations you belong to).
func (r *Resolver) checkEmail(ctx context.Context, in MonitorEmailInput) (store.EmailSpec, error) {
	spec := store.EmailSpec{Enabled: in.Enabled, IncludeResults: in.IncludeResults, Priority: in.Priority, Header: in.Header}
	if in.Priority != "NORMAL" && in.Priority != "CRITICAL" {
		return spec, errcode.New(errcode.BadInput, "priority must be NORMAL or CRITICAL")
	}
	if utf8.RuneCountInString(in.Header) > maxEmailHeader {
		return spec, errcode.New(errcode.BadInput, "the email header must be at most %d characters", maxEmailHeader)
	}
	if len(in.Recipients) == 0 {
		return spec, errcode.New(errcode.BadInput, "an email action needs at least one recipient")
	}
	if len(in.Recipients) > maxEmailRecipients {
		return spec, errcode.New(errcode.BadInput, "an email action may have at most %d recipients", maxEmailRecipients)
	}
	seen := map[Namespace]bool{}
	for _, id := range in.Recipients {
		ns, err := namespaceByID(id)
		if err != nil {
			return spec, err
		}
		if seen[ns] {
			continue
		}
		seen[ns] = true
		if err := r.checkCanAdministerNamespace(ctx, ns); err != nil {
			if errcode.Is(err, errcode.Forbidden) {
				return spec, errcode.New(errcode.Forbidden, "recipient %s: you may only add yourself or organizations you belong to", id)
			}
			return spec, err
		}
		if _, err := r.namespaceResolver(ctx, ns); err != nil {
			return spec, storeErr(err)
		}
		spec.Recipients = append(spec.Recipients, store.MonitorRecipient{NamespaceUserID: ns.UserID, NamespaceOrgID: ns.OrgID})
	}
	return spec, nil
}

// addAction validates one action input into spec; exactly one kind must be set. monitorID
// is the monitor being updated (0 when creating one).
func (r *Resolver) addAction(ctx context.Context, spec *store.MonitorSpec, fresh map[string]bool, monitorID int64, id *graphql.ID,
	email *MonitorEmailInput, webhook, slack *MonitorWebhookInput) error {
	n := 0
	for _, set := range []bool{email != nil, webhook != nil, slack != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errcode.New(errcode.BadInput, "each action must set exactly one of email, webhook and slackWebhook")
	}
	actionID := func(kind string) (int64, error) {
		if id == nil || *id == "" {
			return 0, nil
		}
		return unmarshalID(*id, kind)
	}
	switch {
	case email != nil:
		aid, err := actionID(monitorEmailKind)
		if err != nil {
			return err
		}
		e, err := r.checkEmail(ctx, *email)
		if err != nil {
			return err
		}
		e.ID = aid
		spec.Emails = append(spec.Emails, e)
	case webhook != nil:
		aid, err := actionID(monitorWebhookKind)
		if err != nil {
			return err
		}
		u, err := r.checkURL(ctx, webhook.URL, false)
		if err != nil {
			return err
		}
		w := store.WebhookSpec{ID: aid, Enabled: webhook.Enabled, IncludeResults: webhook.IncludeResults, URL: u}
		if aid == 0 {
			w.Secret = notify.NewSecret()
			fresh[w.Secret] = true
		}
		spec.Webhooks = append(spec.Webhooks, w)
	default:
		aid, err := actionID(monitorSlackKind)
		if err != nil {
			return err
		}
		u, err := r.slackURL(ctx, monitorID, aid, slack.URL)
		if err != nil {
			return err
		}
		spec.SlackWebhooks = append(spec.SlackWebhooks, store.SlackWebhookSpec{ID: aid, Enabled: slack.Enabled, IncludeResults: slack.IncludeResults, URL: u})
	}
	return nil
}

// slackURL validates the URL of a Slack action being saved. The redacted form the API
// shows (see notify.RedactSlackURL) stands for the stored URL of the same action of the
// same monitor, so a client can send back what it read without ever holding the secret.
func (r *Resolver) slackURL(ctx context.Context, monitorID, actionID int64, raw string) (string, error) {
	if !notify.IsRedactedSlackURL(raw) {
		return r.checkURL(ctx, raw, true)
	}
	if actionID == 0 || monitorID == 0 {
		return "", errcode.New(errcode.BadInput, "the Slack webhook URL ends in %q, which stands for the URL stored with an existing action: a new action needs the URL itself", notify.RedactedSlackSegment)
	}
	w, err := r.Store.CodeMonitors().GetSlackWebhook(ctx, actionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && w.MonitorID != monitorID) {
		return "", errcode.New(errcode.NotFound, "Slack action %s is not an action of this monitor", marshalID(monitorSlackKind, actionID))
	}
	if err != nil {
		return "", err
	}
	if notify.RedactSlackURL(w.URL) != strings.TrimSpace(raw) {
		return "", errcode.New(errcode.BadInput, "the Slack webhook URL ends in %q but is not the stored URL as the API shows it (%s); send the whole new URL to change it", notify.RedactedSlackSegment, notify.RedactSlackURL(w.URL))
	}
	return r.checkURL(ctx, w.URL, true)
}

func checkActionCount(n int) error {
	if n == 0 {
		return errcode.New(errcode.BadInput, "a code monitor needs at least one action")
	}
	if n > maxMonitorActions {
		return errcode.New(errcode.BadInput, "a code monitor may have at most %d actions", maxMonitorActions)
	}
	return nil
}

// monitorSnapshot is snapshot for a stored monitor.
func (r *Resolver) monitorSnapshot(ctx context.Context, m *store.Monitor) (map[int64][]string, error) {
	q, err := r.Store.CodeMonitors().QueryByMonitor(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	plan, err := checkMonitorQuery(q.Query)
	if err != nil {
		return nil, err
	}
	owner, err := r.Store.Users().GetByID(ctx, m.NamespaceUserID)
	if err != nil {
		return nil, storeErr(err)
	}
	return r.snapshot(ctx, owner, plan)
}

// snapshot records what the query covers now, as the owner sees it.
func (r *Resolver) snapshot(ctx context.Context, owner *store.User, plan query.Plan) (map[int64][]string, error) {
	a := &auth.Actor{UID: owner.ID, SiteAdmin: owner.SiteAdmin}
	return cmsearch.Snapshot(ctx, r.Store, a.Viewer(), plan)
}

func (r *Resolver) CreateCodeMonitor(ctx context.Context, args struct {
	Monitor MonitorInput
	Trigger MonitorTriggerInput
	Actions []MonitorActionInput
}) (*MonitorResolver, error) {
	actor := auth.FromContext(ctx)
	if actor.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	owner, err := r.monitorOwner(ctx, args.Monitor.Namespace)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(args.Monitor.Description)
	if err != nil {
		return nil, err
	}
	plan, err := checkMonitorQuery(args.Trigger.Query)
	if err != nil {
		return nil, err
	}
	if err := checkActionCount(len(args.Actions)); err != nil {
		return nil, err
	}
	spec := store.MonitorSpec{Description: desc, Enabled: args.Monitor.Enabled, NamespaceUserID: owner.ID, Query: strings.TrimSpace(args.Trigger.Query)}
	fresh := map[string]bool{}
	for i, a := range args.Actions {
		if err := r.addAction(ctx, &spec, fresh, 0, nil, a.Email, a.Webhook, a.SlackWebhook); err != nil {
			return nil, actionErr(i, err)
		}
	}
	if spec.Snapshot, err = r.snapshot(ctx, owner, plan); err != nil {
		return nil, err
	}
	m, err := r.Store.CodeMonitors().CreateMonitor(ctx, actor.UID, spec)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: r, m: m, fresh: fresh}, nil
}

// actionErr names the action an error is about, keeping its code.
func actionErr(i int, err error) error {
	var ce *errcode.Error
	if errors.As(err, &ce) {
		return &errcode.Error{Code: ce.Code, Message: fmt.Sprintf("action %d: %s", i+1, ce.Message), Err: err}
	}
	return err
}

func (r *Resolver) UpdateCodeMonitor(ctx context.Context, args struct {
	Monitor MonitorEditInput
	Trigger MonitorEditTriggerInput
	Actions []MonitorEditActionInput
}) (*MonitorResolver, error) {
	actor := auth.FromContext(ctx)
	if actor.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	current, err := r.monitorByID(ctx, args.Monitor.ID)
	if err != nil {
		return nil, err
	}
	cs := r.Store.CodeMonitors()
	q, err := cs.QueryByMonitor(ctx, current.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, badInput(errNotIssueMonitor)
	}
	if err != nil {
		return nil, err
	}
	triggerID, err := unmarshalID(args.Trigger.ID, monitorQueryKind)
	if err != nil {
		return nil, err
	}
	if triggerID != q.ID {
		return nil, errcode.New(errcode.BadInput, "trigger %s is not this monitor's trigger", args.Trigger.ID)
	}
	owner, err := r.monitorOwner(ctx, args.Monitor.Update.Namespace)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(args.Monitor.Update.Description)
	if err != nil {
		return nil, err
	}
	plan, err := checkMonitorQuery(args.Trigger.Update.Query)
	if err != nil {
		return nil, err
	}
	if err := checkActionCount(len(args.Actions)); err != nil {
		return nil, err
	}
	newQuery := strings.TrimSpace(args.Trigger.Update.Query)
	spec := store.MonitorSpec{Description: desc, Enabled: args.Monitor.Update.Enabled, NamespaceUserID: owner.ID, Query: newQuery}
	fresh := map[string]bool{}
	for i, a := range args.Actions {
		var err error
		switch {
		case a.Email != nil && a.Webhook == nil && a.SlackWebhook == nil:
			err = r.addAction(ctx, &spec, fresh, current.ID, a.Email.ID, &a.Email.Update, nil, nil)
		case a.Webhook != nil && a.Email == nil && a.SlackWebhook == nil:
			err = r.addAction(ctx, &spec, fresh, current.ID, a.Webhook.ID, nil, &a.Webhook.Update, nil)
		case a.SlackWebhook != nil && a.Email == nil && a.Webhook == nil:
			err = r.addAction(ctx, &spec, fresh, current.ID, a.SlackWebhook.ID, nil, nil, &a.SlackWebhook.Update)
		default:
			err = errcode.New(errcode.BadInput, "each action must set exactly one of email, webhook and slackWebhook")
		}
		if err != nil {
			return nil, actionErr(i, err)
		}
	}
	// A new query, a new owner (who sees other repositories), or a monitor enabled
	// again starts from what it covers now.
	if newQuery != q.Query || owner.ID != current.NamespaceUserID || (spec.Enabled && !current.Enabled) {
		if spec.Snapshot, err = r.snapshot(ctx, owner, plan); err != nil {
			return nil, err
		}
	}
	m, err := cs.UpdateMonitor(ctx, actor.UID, current.ID, spec)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: r, m: m, fresh: fresh}, nil
}

func (r *Resolver) ToggleCodeMonitor(ctx context.Context, args struct {
	ID      graphql.ID
	Enabled bool
}) (*MonitorResolver, error) {
	actor := auth.FromContext(ctx)
	if actor.UID == 0 {
		return nil, auth.ErrNotAuthenticated
	}
	m, err := r.monitorByID(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	if c, err := r.issueConfig(ctx, m.ID); err != nil {
		return nil, err
	} else if c != nil {
		m, err := r.toggleIssueMonitor(ctx, m.ID, args.Enabled) // an event (issuemonitors_mutations.go)
		if err != nil {
			return nil, err
		}
		return &MonitorResolver{r: r, m: m}, nil
	}
	// A monitor enabled again reports what is pushed from now on, not what was pushed
	// while it was off.
	var snap map[int64][]string
	if args.Enabled && !m.Enabled {
		if snap, err = r.monitorSnapshot(ctx, m); err != nil {
			return nil, err
		}
	}
	m, err = r.Store.CodeMonitors().ToggleMonitor(ctx, actor.UID, m.ID, args.Enabled, snap)
	if err != nil {
		return nil, storeErr(err)
	}
	return &MonitorResolver{r: r, m: m}, nil
}

func (r *Resolver) DeleteCodeMonitor(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	m, err := r.monitorByID(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.CodeMonitors().DeleteMonitor(ctx, m.ID)))
}

func (r *Resolver) ResetTriggerQueryTimestamps(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.ID, monitorKind)
	if err != nil {
		return nil, err
	}
	return empty(storeErr(r.Store.CodeMonitors().ResetQueryTimestamps(ctx, id)))
}

// testNotification is what the test-action mutations send: the monitor as typed so far
// with an example result.
func (r *Resolver) testNotification(ctx context.Context, namespace graphql.ID, description string) (notify.Notification, error) {
	ns, err := namespaceByID(namespace)
	if err != nil {
		return notify.Notification{}, err
	}
	if err := r.checkCanAdministerNamespace(ctx, ns); err != nil {
		return notify.Notification{}, err
	}
	nsr, err := r.namespaceResolver(ctx, ns)
	if err != nil {
		return notify.Notification{}, storeErr(err)
	}
	desc, err := checkDescription(description)
	if err != nil {
		return notify.Notification{}, err
	}
	return notify.Notification{
		Kind:               notify.CodeMonitorResults,
		MonitorDescription: desc,
		MonitorURL:         r.url("/code-monitoring"),
		SearchURL:          r.url("/search"),
		Query:              "type:diff example",
		Owner:              nsr.NamespaceName(),
	}.AsTest(), nil
}

func testDeliveryID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "cm-test-" + hex.EncodeToString(b)
}

// DeliveryFailed is the code of a test notification the receiver did not accept.
const DeliveryFailed = "DELIVERY_FAILED"

func deliveryErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, notify.ErrEmailNotConfigured) {
		return errcode.Wrap(errcode.BadInput, err)
	}
	return errcode.Wrap(DeliveryFailed, fmt.Errorf("the test notification was not delivered: %w", err))
}

func (r *Resolver) TriggerTestEmailAction(ctx context.Context, args struct {
	Namespace   graphql.ID
	Description string
	Email       MonitorEmailInput
}) (*EmptyResponse, error) {
	msg, err := r.testNotification(ctx, args.Namespace, args.Description)
	if err != nil {
		return nil, err
	}
	e, err := r.checkEmail(ctx, args.Email)
	if err != nil {
		return nil, err
	}
	msg.Critical, msg.Header, msg.IncludeResults = e.Priority == "CRITICAL", e.Header, e.IncludeResults
	var users, orgs []int64
	for _, rc := range e.Recipients {
		if rc.NamespaceUserID != 0 {
			users = append(users, rc.NamespaceUserID)
		} else {
			orgs = append(orgs, rc.NamespaceOrgID)
		}
	}
	addrs, err := r.Store.CodeMonitors().RecipientAddresses(ctx, users, orgs)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errcode.New(errcode.BadInput, "no recipient has a verified email address")
	}
	var errs []error
	for _, a := range addrs {
		if err := r.Notifier.SendEmail(ctx, a, testDeliveryID(), msg); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
		}
	}
	return empty(deliveryErr(errors.Join(errs...)))
}

func (r *Resolver) TriggerTestWebhookAction(ctx context.Context, args struct {
	Namespace   graphql.ID
	Description string
	Webhook     MonitorWebhookInput
}) (*EmptyResponse, error) {
	msg, err := r.testNotification(ctx, args.Namespace, args.Description)
	if err != nil {
		return nil, err
	}
	u, err := r.checkURL(ctx, args.Webhook.URL, false)
	if err != nil {
		return nil, err
	}
	msg.IncludeResults = args.Webhook.IncludeResults
	return empty(deliveryErr(r.Notifier.SendWebhook(ctx, notify.Webhook{URL: u}, testDeliveryID(), msg)))
}

func (r *Resolver) TriggerTestSlackWebhookAction(ctx context.Context, args struct {
	Namespace    graphql.ID
	Description  string
	SlackWebhook MonitorSlackWebhookInput
	Action       *graphql.ID
}) (*EmptyResponse, error) {
	msg, err := r.testNotification(ctx, args.Namespace, args.Description)
	if err != nil {
		return nil, err
	}
	var monitorID, actionID int64
	if args.Action != nil {
		// A saved action: its stored URL is what a redacted one stands for, and only
		// someone who may edit its monitor may send to it.
		if actionID, err = unmarshalID(*args.Action, monitorSlackKind); err != nil {
			return nil, err
		}
		w, err := r.Store.CodeMonitors().GetSlackWebhook(ctx, actionID)
		if err != nil {
			return nil, storeErr(err)
		}
		if _, err := r.monitorByID(ctx, marshalID(monitorKind, w.MonitorID)); err != nil {
			return nil, err
		}
		monitorID = w.MonitorID
	}
	u, err := r.slackURL(ctx, monitorID, actionID, args.SlackWebhook.URL)
	if err != nil {
		return nil, err
	}
	msg.IncludeResults = args.SlackWebhook.IncludeResults
	return empty(deliveryErr(r.Notifier.SendSlack(ctx, u, testDeliveryID(), msg)))
}

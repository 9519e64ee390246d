package issuemonitors

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lookout/lookout/internal/store"
)

// Errors of the manual actions, which a user can act on.
var (
	ErrNotActive = errors.New("not active")
	ErrSolvable  = errors.New("the issues of this monitor are solved automatically (solvable): drop an issue to stop tracking it")
)

// Engine applies a run or manual actions to one monitor's state, in memory, recording
// an event for every state change; Finish routes the events to the monitor's actions and
// returns the rows to write. An Engine is used for one transaction: build it from the
// state loaded (and locked) in it, and apply Finish's write in it.
type Engine struct {
	monitor *store.Monitor
	cfg     *store.IssueMonitorConfig
	rule    Rule
	now     time.Time
	actor   int64

	issues  map[int64]*store.MonitorIssue // every issue loaded or created, by id
	alerts  map[int64]*store.MonitorAlert
	notifs  []*store.IssueNotification // active
	actions []store.IssueAction
	active  map[string]*store.MonitorIssue // active issues by key

	created      map[string]map[int64]bool // kind → ids made here (negative until Finish)
	dirtyIssues  map[int64]bool
	dirtyAlerts  map[int64]bool
	solvedAlerts []int64
	enabled      *bool
	nextTemp     int64
	events       []*pending
	stats        RunStats
}

// RunStats count what a run did.
type RunStats struct {
	Created, Updated, Solved, Dropped int
	// Filtered counts search results that made no issue: no key, already active,
	// repeated, blocked by unique, already solved, or over the per-run cap.
	Filtered int
}

// pending is an event before its ids are final.
type pending struct {
	ev store.IssueEvent
	// The snapshot event_data is built from (one is set).
	alert   *alertSnapshot
	issue   *store.MonitorIssue
	monitor *store.Monitor
	notif   *store.IssueNotification
	extra   map[string]any
	// prio is the alert priority an alert event counts as for an action's minimum.
	prio Priority
}

// ackExempt are the alert events sent even while the alert is acknowledged: the
// acknowledgement's own life, manual locking, and the end of the alert (which closes its
// notifications).
var ackExempt = map[string]bool{AlertAcknowledged: true, AlertAcknowledgeDismissed: true, AlertLocked: true, AlertUnlocked: true, AlertSolved: true}

// silencedBy reports whether an acknowledgement silences news of a at priority prio.
func silencedBy(a *store.MonitorAlert, prio Priority) bool {
	return a != nil && a.Acknowledged && !prio.Above(Priority(a.AcknowledgedPriority))
}

type alertSnapshot struct {
	a            store.MonitorAlert
	activeIssues int
	oldest       *time.Time
}

// NewEngine returns an engine over a loaded state. now is the engine's clock (issue ages,
// timestamps); actorUserID is who acts (0 for a scheduled run).
func NewEngine(st *store.IssueMonitorState, now time.Time, actorUserID int64) *Engine {
	// Timestamps are stored to the microsecond; ages are computed from stored ones.
	now = now.Truncate(time.Microsecond)
	e := &Engine{
		monitor: st.Monitor, cfg: st.Config, rule: RuleOf(st.Config), now: now, actor: actorUserID,
		issues: map[int64]*store.MonitorIssue{}, alerts: map[int64]*store.MonitorAlert{}, active: map[string]*store.MonitorIssue{},
		actions: st.Actions, notifs: slices.Clone(st.Notifications),
		created:     map[string]map[int64]bool{store.IDKindAlert: {}, store.IDKindIssue: {}, store.IDKindNotification: {}},
		dirtyIssues: map[int64]bool{}, dirtyAlerts: map[int64]bool{},
	}
	for _, is := range st.Issues {
		e.issues[is.ID] = is
		if is.State == store.IssueActive {
			e.active[is.Key] = is
		}
	}
	for _, a := range st.Alerts {
		e.alerts[a.ID] = a
	}
	return e
}

// Stats returns what the engine did so far.
func (e *Engine) Stats() RunStats { return e.stats }

func (e *Engine) tempID(kind string) int64 {
	e.nextTemp--
	e.created[kind][e.nextTemp] = true
	return e.nextTemp
}

// activeIssues returns the active issues in id order (created ones last, in creation
// order); alertID, when not 0, keeps those linked to that alert.
func (e *Engine) activeIssues(alertID int64) []*store.MonitorIssue {
	var out []*store.MonitorIssue
	for _, is := range e.active {
		if alertID == 0 || is.AlertID == alertID {
			out = append(out, is)
		}
	}
	slices.SortFunc(out, func(a, b *store.MonitorIssue) int { return compareIDs(a.ID, b.ID) })
	return out
}

// activeAlerts returns the active alerts, oldest first.
func (e *Engine) activeAlerts() []*store.MonitorAlert {
	var out []*store.MonitorAlert
	for _, a := range e.alerts {
		if a.State == store.AlertActive {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *store.MonitorAlert) int { return compareIDs(a.ID, b.ID) })
	return out
}

// compareIDs orders stored rows (positive ids) before created ones (negative, made in
// decreasing order), each in the order they were made.
func compareIDs(a, b int64) int {
	switch {
	case a > 0 && b > 0:
		return cmpInt(a, b)
	case a < 0 && b < 0:
		return cmpInt(b, a)
	case a > 0:
		return -1
	}
	return 1
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Engine) emit(ev pending) *pending {
	ev.ev.MonitorID, ev.ev.CreatedAt, ev.ev.ActorUserID = e.monitor.ID, e.now, e.actor
	p := &ev
	e.events = append(e.events, p)
	return p
}

func (e *Engine) issueEvent(name string, is *store.MonitorIssue, extra map[string]any) {
	snap := *is
	e.emit(pending{ev: store.IssueEvent{Source: store.EventSourceIssue, SourceID: is.ID, Name: name, IssueID: is.ID, AlertID: is.AlertID}, issue: &snap, extra: extra})
}

func (e *Engine) alertEvent(name string, a *store.MonitorAlert, extra map[string]any, prio Priority) {
	snap := &alertSnapshot{a: *a}
	for _, is := range e.activeIssues(a.ID) {
		snap.activeIssues++
		if snap.oldest == nil || is.CreatedAt.Before(*snap.oldest) {
			t := is.CreatedAt
			snap.oldest = &t
		}
	}
	e.emit(pending{ev: store.IssueEvent{Source: store.EventSourceAlert, SourceID: a.ID, Name: name, AlertID: a.ID}, alert: snap, extra: extra, prio: prio})
}

func (e *Engine) touchIssue(is *store.MonitorIssue) {
	is.UpdatedAt = e.now
	e.dirtyIssues[is.ID] = true
}

func (e *Engine) touchAlert(a *store.MonitorAlert) {
	a.UpdatedAt = e.now
	e.dirtyAlerts[a.ID] = true
}

// ObservationState is what a search said about an active issue.
type ObservationState int

const (
	// Found: the issue's result was found again; Candidate holds its data.
	Found ObservationState = iota + 1
	// NotFound: a complete search of the issue's repository no longer finds it.
	NotFound
)

// Observation is the update search's answer for one issue. An issue without one is
// unknown (its repository timed out, is not cloned, or cannot be seen) and is left as is.
type Observation struct {
	State     ObservationState
	Candidate *Candidate
}

// RunInput is what a run's searches observed.
type RunInput struct {
	// Update runs the update task with Observations (by issue key).
	Update       bool
	Observations map[string]Observation
	// Search runs the search task with Candidates, the search results in order.
	// KeysSeen holds the candidate keys the monitor ever had an issue for (for unique).
	Search     bool
	Candidates []Candidate
	KeysSeen   map[string]bool
}

// Run applies a run in the reference's order: the update pass refreshes the active
// issues the searches answered for, the solve pass solves the solvable ones no longer
// found, the search pass creates issues from new results (filtered, then cut to the
// per-run cap), and the alert pass links new issues and recomputes every active alert.
func (e *Engine) Run(in RunInput) {
	unfound := map[int64]bool{}
	if in.Update {
		for _, is := range e.activeIssues(0) {
			obs, ok := in.Observations[is.Key]
			if !ok {
				continue
			}
			switch obs.State {
			case Found:
				is.Data = obs.Candidate.JSON()
				is.RepoName, is.Commit = obs.Candidate.Data.Repository, obs.Candidate.Data.Commit
				e.touchIssue(is)
				e.stats.Updated++
				e.issueEvent(IssueUpdatedNotSolved, is, nil)
			case NotFound:
				// The data is kept as it was last seen: the result is gone, not changed.
				unfound[is.ID] = true
				e.touchIssue(is)
				e.stats.Updated++
				e.issueEvent(IssueUpdatedSolved, is, nil)
			}
		}
	}
	solved := map[string]bool{}
	if e.cfg.Solvable {
		for _, is := range e.activeIssues(0) {
			if unfound[is.ID] {
				e.solveIssue(is, nil)
				solved[is.Key] = true
			}
		}
	}
	if in.Search {
		e.searchPass(in.Candidates, in.KeysSeen, solved)
	}
	e.alertPass(true, nil)
}

func (e *Engine) solveIssue(is *store.MonitorIssue, extra map[string]any) {
	is.State, is.SolvedAt = store.IssueSolved, &e.now
	delete(e.active, is.Key)
	e.touchIssue(is)
	e.stats.Solved++
	e.issueEvent(IssueSolved, is, extra)
}

// searchPass creates issues from new results. solved holds the keys this run's update
// found solved: the search's result for such a key is already solved (the update looked
// for it more precisely, at the issue's repository and path), so it is dropped rather
// than raised again at once; a later search that still finds it raises it.
func (e *Engine) searchPass(cands []Candidate, seen, solved map[string]bool) {
	batch := map[string]bool{}
	var keep []Candidate
	for _, c := range cands {
		switch {
		case c.Key == "", // the identity does not apply to this result
			e.active[c.Key] != nil,      // already tracked
			batch[c.Key],                // repeated in this batch
			e.cfg.Unique && seen[c.Key], // an identity is raised once
			solved[c.Key]:               // already solved
			e.stats.Filtered++
			continue
		}
		batch[c.Key] = true
		keep = append(keep, c)
	}
	// The cap applies after filtering, so known results never use up a run's quota.
	if len(keep) > e.cfg.MaxIssuesPerRun {
		e.stats.Filtered += len(keep) - e.cfg.MaxIssuesPerRun
		keep = keep[:e.cfg.MaxIssuesPerRun]
	}
	for _, c := range keep {
		is := &store.MonitorIssue{
			ID: e.tempID(store.IDKindIssue), MonitorID: e.monitor.ID, Key: c.Key, State: store.IssueActive, Data: c.JSON(),
			RepoID: c.Data.RepositoryID, RepoName: c.Data.Repository, Path: c.Data.Path, Commit: c.Data.Commit,
			CreatedAt: e.now, UpdatedAt: e.now,
		}
		e.issues[is.ID], e.active[is.Key] = is, is
		e.stats.Created++
		e.issueEvent(IssueCreated, is, nil)
	}
}

// alertPass links unlinked active issues (when link is set) to the first active
// unlocked alert, or to a new alert when the rule gives them a priority; then every
// active alert (or those in only) recomputes its priority and is solved when it has no
// active issue left.
func (e *Engine) alertPass(link bool, only map[int64]bool) {
	if link {
		var unlinked []*store.MonitorIssue
		for _, is := range e.activeIssues(0) {
			if is.AlertID == 0 {
				unlinked = append(unlinked, is)
			}
		}
		if len(unlinked) > 0 {
			var target *store.MonitorAlert
			for _, a := range e.activeAlerts() {
				if !a.Locked {
					target = a
					break
				}
			}
			if target == nil {
				if p := e.rule.Priority(unlinked, e.now); p != NoPriority {
					target = &store.MonitorAlert{ID: e.tempID(store.IDKindAlert), MonitorID: e.monitor.ID, State: store.AlertActive, Priority: int(p), CreatedAt: e.now, UpdatedAt: e.now}
					e.alerts[target.ID] = target
					e.link(target, unlinked)
					e.alertEvent(AlertCreated, target, nil, p)
					e.alertEvent(AlertIssuesLinked, target, map[string]any{"issueIDs": issueIDs(unlinked)}, p)
				}
			} else {
				e.link(target, unlinked)
				// Dismissed first, so the news that dismisses it is not silenced.
				if e.cfg.DismissAcknowledgeOnNewIssues && target.Acknowledged {
					e.dismissAcknowledge(target, "new issues")
				}
				e.alertEvent(AlertIssuesLinked, target, map[string]any{"issueIDs": issueIDs(unlinked)}, Priority(target.Priority))
			}
		}
	}
	for _, a := range e.activeAlerts() {
		if only != nil && !only[a.ID] {
			continue
		}
		e.updateAlert(a)
	}
}

func issueIDs(issues []*store.MonitorIssue) idList {
	out := make(idList, len(issues))
	for i, is := range issues {
		out[i] = is.ID
	}
	return out
}

// idList is a list of ids in an extra payload, remapped when ids become final.
type idList []int64

func (e *Engine) link(a *store.MonitorAlert, issues []*store.MonitorIssue) {
	for _, is := range issues {
		is.AlertID = a.ID
		e.touchIssue(is)
		e.issueEvent(IssueLinked, is, map[string]any{"alertID": alertRef(a.ID)})
	}
	e.touchAlert(a)
}

// alertRef is an alert id in an extra payload, remapped when ids become final.
type alertRef int64

func (e *Engine) dismissAcknowledge(a *store.MonitorAlert, reason string) {
	prev := Priority(a.AcknowledgedPriority)
	a.Acknowledged, a.AcknowledgedPriority = false, 0
	e.touchAlert(a)
	e.alertEvent(AlertAcknowledgeDismissed, a, map[string]any{"reason": reason, "acknowledgedPriority": priorityJSON(prev)}, Priority(a.Priority))
}

func (e *Engine) updateAlert(a *store.MonitorAlert) {
	issues := e.activeIssues(a.ID)
	if len(issues) == 0 {
		a.State, a.SolvedAt = store.AlertSolved, &e.now
		e.touchAlert(a)
		e.solvedAlerts = append(e.solvedAlerts, a.ID)
		e.alertEvent(AlertSolved, a, nil, Priority(a.Priority))
		return
	}
	prev, p := Priority(a.Priority), e.rule.Priority(issues, e.now)
	if p != prev {
		a.Priority = int(p)
		e.touchAlert(a)
		extra := map[string]any{"previousPriority": priorityJSON(prev), "priority": priorityJSON(p)}
		if p.Above(prev) {
			e.alertEvent(AlertPriorityIncreased, a, extra, p)
			// Acknowledgement holds for the priority acknowledged: an alert that escalates
			// past it needs attention again.
			if a.Acknowledged && p.Above(Priority(a.AcknowledgedPriority)) {
				e.dismissAcknowledge(a, "priority increased")
			}
		} else {
			// A decrease counts at the priority it left, so those notified of the higher
			// priority hear that it went down.
			e.alertEvent(AlertPriorityDecreased, a, extra, prev)
		}
	}
	e.touchAlert(a)
	e.alertEvent(AlertUpdated, a, nil, Priority(a.Priority))
}

func priorityJSON(p Priority) any {
	if p == NoPriority {
		return nil
	}
	return p.String()
}

// activeAlert returns an active alert of the monitor.
func (e *Engine) activeAlert(id int64) (*store.MonitorAlert, error) {
	a, ok := e.alerts[id]
	if !ok || a.State != store.AlertActive {
		return nil, fmt.Errorf("alert %d is %w", id, ErrNotActive)
	}
	return a, nil
}

// Acknowledge acknowledges an alert at its current priority. Acknowledging it again at
// the same priority changes nothing.
func (e *Engine) Acknowledge(alertID int64) (*store.MonitorAlert, error) {
	a, err := e.activeAlert(alertID)
	if err != nil {
		return nil, err
	}
	if a.Acknowledged && a.AcknowledgedPriority == a.Priority {
		return a, nil
	}
	a.Acknowledged, a.AcknowledgedPriority = true, a.Priority
	e.touchAlert(a)
	e.alertEvent(AlertAcknowledged, a, map[string]any{"priority": priorityJSON(Priority(a.Priority))}, Priority(a.Priority))
	return a, nil
}

// SetLocked locks an alert (no new issue joins it) or unlocks it.
func (e *Engine) SetLocked(alertID int64, locked bool) (*store.MonitorAlert, error) {
	a, err := e.activeAlert(alertID)
	if err != nil {
		return nil, err
	}
	if a.Locked == locked {
		return a, nil
	}
	a.Locked = locked
	e.touchAlert(a)
	name := AlertUnlocked
	if locked {
		name = AlertLocked
	}
	e.alertEvent(name, a, nil, Priority(a.Priority))
	return a, nil
}

// SolveAlert solves an alert by hand: every active issue linked to it is solved, then
// the alert. Only monitors whose issues are not solvable are solved by hand.
func (e *Engine) SolveAlert(alertID int64) (*store.MonitorAlert, error) {
	if e.cfg.Solvable {
		return nil, ErrSolvable
	}
	a, err := e.activeAlert(alertID)
	if err != nil {
		return nil, err
	}
	for _, is := range e.activeIssues(a.ID) {
		e.solveIssue(is, map[string]any{"manual": true})
	}
	e.alertPass(false, map[int64]bool{a.ID: true})
	return a, nil
}

// SolveIssue solves an issue by hand (monitors whose issues are not solvable only); its
// alert is updated, and solved when it has no active issue left.
func (e *Engine) SolveIssue(issueID int64) (*store.MonitorIssue, error) {
	if e.cfg.Solvable {
		return nil, ErrSolvable
	}
	is, err := e.activeIssue(issueID)
	if err != nil {
		return nil, err
	}
	e.solveIssue(is, map[string]any{"manual": true})
	if is.AlertID != 0 {
		e.alertPass(false, map[int64]bool{is.AlertID: true})
	}
	return is, nil
}

// DropIssue stops tracking an issue without solving it (a false positive). A unique
// monitor never raises its identity again; others raise it again if a search finds it.
func (e *Engine) DropIssue(issueID int64) (*store.MonitorIssue, error) {
	is, err := e.activeIssue(issueID)
	if err != nil {
		return nil, err
	}
	is.State = store.IssueDropped
	delete(e.active, is.Key)
	e.touchIssue(is)
	e.stats.Dropped++
	e.issueEvent(IssueDropped, is, nil)
	if is.AlertID != 0 {
		e.alertPass(false, map[int64]bool{is.AlertID: true})
	}
	return is, nil
}

func (e *Engine) activeIssue(id int64) (*store.MonitorIssue, error) {
	is, ok := e.issues[id]
	if !ok || is.State != store.IssueActive {
		return nil, fmt.Errorf("issue %d is %w", id, ErrNotActive)
	}
	return is, nil
}

// SetEnabled enables or disables the monitor.
func (e *Engine) SetEnabled(enabled bool) {
	if e.monitor.Enabled == enabled {
		return
	}
	e.monitor.Enabled = enabled
	e.enabled = &enabled
	snap := *e.monitor
	e.emit(pending{ev: store.IssueEvent{Source: store.EventSourceMonitor, SourceID: e.monitor.ID, Name: MonitorEnabledChanged}, monitor: &snap,
		extra: map[string]any{"enabled": enabled}})
}

// Alert returns an alert the engine holds (for the caller to show after a change).
func (e *Engine) Alert(id int64) *store.MonitorAlert { return e.alerts[id] }

// Issue returns an issue the engine holds.
func (e *Engine) Issue(id int64) *store.MonitorIssue { return e.issues[id] }

// Allocator draws n final ids of a kind (store.IDKind*).
type Allocator func(kind string, n int) ([]int64, error)

// Finish routes the events to the actions and returns the rows to write, with final ids
// drawn from alloc.
//
// An action is sent an event it subscribes to (DefaultActionEvents when it lists none)
// when the event's alert priority is at least the action's minimum: an alert event
// counts at the alert's priority (a decrease at the priority it left), an issue event at
// the priority of the alert the issue ends up in, a monitor event at none (so only
// actions without a minimum get it). Acknowledging an alert silences it at the priority
// acknowledged: while the change leaves it acknowledged, its events and those of its
// issues at that priority or lower are recorded but sent to nobody, except the
// acknowledgement and lock events and alert_solved. A rise above that priority (or new
// issues, with dismissAcknowledgeOnNewIssues) dismisses the acknowledgement, and the
// change is sent in full. A message about an alert belongs to the action's
// notification of that alert, created with the first message; when the alert is solved
// its notifications are closed.
func (e *Engine) Finish(alloc Allocator) (*store.IssueWrite, error) {
	w := &store.IssueWrite{MonitorID: e.monitor.ID, ActorUserID: e.actor, Enabled: e.enabled}
	type job struct {
		ev    *pending
		kind  string
		id    int64
		notif *store.IssueNotification
	}
	var jobs []job
	var newNotifs []*store.IssueNotification
	routed := slices.Clone(e.events)
	for _, ev := range routed {
		if !routable(ev.ev.Name) {
			continue
		}
		prio, alert := ev.prio, e.alerts[ev.ev.AlertID]
		if ev.ev.Source == store.EventSourceIssue {
			prio, alert = NoPriority, e.alerts[e.issues[ev.ev.IssueID].AlertID]
			if alert != nil {
				prio = Priority(alert.Priority)
			}
		}
		// The alert as the change leaves it decides: an acknowledgement the change
		// dismissed silences nothing.
		if !ackExempt[ev.ev.Name] && silencedBy(alert, prio) {
			continue
		}
		for _, act := range e.actions {
			events := act.Events
			if len(events) == 0 {
				events = DefaultActionEvents
			}
			if !act.Enabled || !slices.Contains(events, ev.ev.Name) || !prio.AtLeast(Priority(act.MinPriority)) {
				continue
			}
			j := job{ev: ev, kind: act.Kind, id: act.ID}
			if alertID := ev.ev.AlertID; alertID != 0 {
				j.notif = e.notification(alertID, act)
				if j.notif == nil {
					j.notif = &store.IssueNotification{ID: e.tempID(store.IDKindNotification), MonitorID: e.monitor.ID, AlertID: alertID,
						ActionKind: act.Kind, ActionID: act.ID, State: "active", CreatedAt: e.now}
					e.notifs = append(e.notifs, j.notif)
					newNotifs = append(newNotifs, j.notif)
					e.notificationEvent(NotificationCreated, j.notif)
				}
			}
			jobs = append(jobs, j)
		}
	}
	for _, alertID := range e.solvedAlerts {
		for _, n := range e.notifs {
			if n.AlertID == alertID && n.State == "active" {
				n.State, n.ClosedAt = "closed", &e.now
				if !e.created[store.IDKindNotification][n.ID] {
					w.ClosedNotifications = append(w.ClosedNotifications, n)
				}
				e.notificationEvent(NotificationClosed, n)
			}
		}
	}

	ids, err := e.finalIDs(alloc)
	if err != nil {
		return nil, err
	}
	for _, id := range sortedKeys(e.alerts) {
		a := e.alerts[id]
		if e.created[store.IDKindAlert][id] {
			w.NewAlerts = append(w.NewAlerts, a)
		} else if e.dirtyAlerts[id] {
			w.Alerts = append(w.Alerts, a)
		}
	}
	for _, id := range sortedKeys(e.issues) {
		is := e.issues[id]
		if e.created[store.IDKindIssue][id] {
			w.NewIssues = append(w.NewIssues, is)
		} else if e.dirtyIssues[id] {
			w.Issues = append(w.Issues, is)
		}
	}
	w.NewNotifications = newNotifs
	index := map[*pending]int{}
	for i, ev := range e.events {
		index[ev] = i
		out, err := e.finalEvent(ev, ids)
		if err != nil {
			return nil, err
		}
		w.Events = append(w.Events, out)
	}
	for _, j := range jobs {
		spec := store.IssueActionJobSpec{Event: index[j.ev], ActionKind: j.kind, ActionID: j.id}
		if j.notif != nil {
			spec.NotificationID = j.notif.ID
		}
		w.Jobs = append(w.Jobs, spec)
	}
	return w, nil
}

func (e *Engine) notification(alertID int64, act store.IssueAction) *store.IssueNotification {
	for _, n := range e.notifs {
		if n.AlertID == alertID && n.ActionKind == act.Kind && n.ActionID == act.ID && n.State == "active" {
			return n
		}
	}
	return nil
}

func (e *Engine) notificationEvent(name string, n *store.IssueNotification) {
	snap := *n
	e.emit(pending{ev: store.IssueEvent{Source: store.EventSourceNotification, SourceID: n.ID, Name: name, AlertID: n.AlertID}, notif: &snap})
}

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareIDs)
	return keys
}

// idMap maps temporary ids to final ones, per kind.
type idMap map[string]map[int64]int64

func (m idMap) of(kind string, id int64) int64 {
	if id >= 0 {
		return id
	}
	return m[kind][id]
}

// finalIDs draws final ids for the rows made here and rewrites the rows with them.
func (e *Engine) finalIDs(alloc Allocator) (idMap, error) {
	m := idMap{}
	for _, kind := range []string{store.IDKindAlert, store.IDKindIssue, store.IDKindNotification} {
		temps := make([]int64, 0, len(e.created[kind]))
		for id := range e.created[kind] {
			temps = append(temps, id)
		}
		slices.SortFunc(temps, compareIDs)
		m[kind] = map[int64]int64{}
		if len(temps) == 0 {
			continue
		}
		real, err := alloc(kind, len(temps))
		if err != nil {
			return nil, fmt.Errorf("allocating ids: %w", err)
		}
		if len(real) != len(temps) {
			return nil, fmt.Errorf("allocating ids: got %d of %d", len(real), len(temps))
		}
		for i, t := range temps {
			m[kind][t] = real[i]
		}
	}
	// The rows are rewritten in place; the engine's maps keep their temporary keys.
	for _, a := range e.alerts {
		a.ID = m.of(store.IDKindAlert, a.ID)
	}
	for _, is := range e.issues {
		is.ID, is.AlertID = m.of(store.IDKindIssue, is.ID), m.of(store.IDKindAlert, is.AlertID)
	}
	for _, n := range e.notifs {
		n.ID, n.AlertID = m.of(store.IDKindNotification, n.ID), m.of(store.IDKindAlert, n.AlertID)
	}
	return m, nil
}

func (e *Engine) finalEvent(p *pending, ids idMap) (*store.IssueEvent, error) {
	ev := p.ev
	ev.AlertID = ids.of(store.IDKindAlert, ev.AlertID)
	ev.IssueID = ids.of(store.IDKindIssue, ev.IssueID)
	var data any
	switch {
	case p.alert != nil:
		ev.SourceID = ids.of(store.IDKindAlert, ev.SourceID)
		data = alertData(p.alert, ids, e.now)
	case p.issue != nil:
		ev.SourceID = ids.of(store.IDKindIssue, ev.SourceID)
		data = issueData(p.issue, ids)
	case p.notif != nil:
		ev.SourceID = ids.of(store.IDKindNotification, ev.SourceID)
		data = notificationData(p.notif, ids)
	case p.monitor != nil:
		data = map[string]any{"id": p.monitor.ID, "description": p.monitor.Description, "enabled": p.monitor.Enabled}
	}
	var err error
	if ev.Data, err = json.Marshal(data); err != nil {
		return nil, fmt.Errorf("encoding event data: %w", err)
	}
	extra := map[string]any{}
	for k, v := range p.extra {
		switch v := v.(type) {
		case alertRef:
			extra[k] = ids.of(store.IDKindAlert, int64(v))
		case idList:
			out := make([]int64, len(v))
			for i, id := range v {
				out[i] = ids.of(store.IDKindIssue, id)
			}
			extra[k] = out
		default:
			extra[k] = v
		}
	}
	if ev.Extra, err = json.Marshal(extra); err != nil {
		return nil, fmt.Errorf("encoding event extra payload: %w", err)
	}
	return &ev, nil
}

// AlertData is event_data of an alert event.
type AlertData struct {
	ID                    int64      `json:"id"`
	MonitorID             int64      `json:"monitorID"`
	State                 string     `json:"state"`
	Priority              *string    `json:"priority"`
	Acknowledged          bool       `json:"acknowledged"`
	AcknowledgedPriority  *string    `json:"acknowledgedPriority"`
	Locked                bool       `json:"locked"`
	ActiveIssues          int        `json:"activeIssues"`
	OldestIssueAgeSeconds int64      `json:"oldestIssueAgeSeconds"`
	CreatedAt             time.Time  `json:"createdAt"`
	UpdatedAt             time.Time  `json:"updatedAt"`
	SolvedAt              *time.Time `json:"solvedAt"`
}

func priorityPtr(p Priority) *string {
	if p == NoPriority {
		return nil
	}
	s := p.String()
	return &s
}

func alertData(s *alertSnapshot, ids idMap, now time.Time) AlertData {
	a := s.a
	d := AlertData{ID: ids.of(store.IDKindAlert, a.ID), MonitorID: a.MonitorID, State: a.State, Priority: priorityPtr(Priority(a.Priority)),
		Acknowledged: a.Acknowledged, Locked: a.Locked, ActiveIssues: s.activeIssues, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, SolvedAt: a.SolvedAt}
	if a.Acknowledged {
		d.AcknowledgedPriority = priorityPtr(Priority(a.AcknowledgedPriority))
	}
	if s.oldest != nil {
		d.OldestIssueAgeSeconds = int64(now.Sub(*s.oldest).Seconds())
	}
	return d
}

// IssueEventData is event_data of an issue event.
type IssueEventData struct {
	ID         int64           `json:"id"`
	MonitorID  int64           `json:"monitorID"`
	AlertID    *int64          `json:"alertID"`
	Key        string          `json:"key"`
	State      string          `json:"state"`
	Data       json.RawMessage `json:"data"`
	Repository string          `json:"repository,omitempty"`
	Path       string          `json:"path,omitempty"`
	Commit     string          `json:"commit,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	SolvedAt   *time.Time      `json:"solvedAt"`
}

func issueData(is *store.MonitorIssue, ids idMap) IssueEventData {
	d := IssueEventData{ID: ids.of(store.IDKindIssue, is.ID), MonitorID: is.MonitorID, Key: is.Key, State: is.State, Data: json.RawMessage(is.Data),
		Repository: is.RepoName, Path: is.Path, Commit: is.Commit, CreatedAt: is.CreatedAt, UpdatedAt: is.UpdatedAt, SolvedAt: is.SolvedAt}
	if len(d.Data) == 0 {
		d.Data = json.RawMessage("{}")
	}
	if is.AlertID != 0 {
		id := ids.of(store.IDKindAlert, is.AlertID)
		d.AlertID = &id
	}
	return d
}

func notificationData(n *store.IssueNotification, ids idMap) map[string]any {
	return map[string]any{"id": ids.of(store.IDKindNotification, n.ID), "alertID": ids.of(store.IDKindAlert, n.AlertID),
		"actionKind": n.ActionKind, "actionID": n.ActionID, "state": n.State, "createdAt": n.CreatedAt, "closedAt": n.ClosedAt}
}

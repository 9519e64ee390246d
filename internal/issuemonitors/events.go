package issuemonitors

import (
	"fmt"
	"slices"
	"strings"
)

// Event names, as stored and sent (event_name); the API spells them in upper case.
const (
	AlertAcknowledgeDismissed = "alert_acknowledge_dismissed"
	AlertAcknowledged         = "alert_acknowledged"
	AlertCreated              = "alert_created"
	AlertIssuesLinked         = "alert_issues_linked"
	AlertLocked               = "alert_locked"
	AlertPriorityDecreased    = "alert_priority_decreased"
	AlertPriorityIncreased    = "alert_priority_increased"
	AlertSolved               = "alert_solved"
	AlertUnlocked             = "alert_unlocked"
	AlertUpdated              = "alert_updated"
	IssueLinked               = "issue_linked"
	IssueCreated              = "issue_created"
	IssueDropped              = "issue_dropped"
	IssueSolved               = "issue_solved"
	IssueUpdatedNotSolved     = "issue_updated_not_solved"
	IssueUpdatedSolved        = "issue_updated_solved"
	MonitorEnabledChanged     = "monitor_enabled_changed"
	NotificationCreated       = "notification_created"
	NotificationClosed        = "notification_closed"
)

// EventNames are every event name, sorted.
var EventNames = []string{
	AlertAcknowledgeDismissed, AlertAcknowledged, AlertCreated, AlertIssuesLinked, AlertLocked, AlertPriorityDecreased,
	AlertPriorityIncreased, AlertSolved, AlertUnlocked, AlertUpdated, IssueCreated, IssueDropped, IssueLinked, IssueSolved,
	IssueUpdatedNotSolved, IssueUpdatedSolved, MonitorEnabledChanged, NotificationClosed, NotificationCreated,
}

// DefaultActionEvents are what an action with no events listed is sent: the life of each
// alert (created, priority up and down, solved), so its notification is created, updated
// and closed as the alert changes.
var DefaultActionEvents = []string{AlertCreated, AlertPriorityIncreased, AlertPriorityDecreased, AlertSolved}

// routable reports whether actions may subscribe to an event. Notification events are
// recorded but not sent: they are produced by sending.
func routable(name string) bool { return name != NotificationCreated && name != NotificationClosed }

// ParseEventNames reads event names as the API gives them (ALERT_CREATED) into stored
// names, sorted without duplicates.
func ParseEventNames(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		s := strings.ToLower(strings.TrimSpace(n))
		if !slices.Contains(EventNames, s) {
			return nil, fmt.Errorf("unknown event %q", n)
		}
		if !routable(s) {
			return nil, fmt.Errorf("actions cannot subscribe to %s: it is recorded when a message is sent", strings.ToUpper(s))
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

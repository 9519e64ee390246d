package campaigns

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

// Operation is one thing the reconciler does to a changeset on its code host.
type Operation string

// Operations, in the order they run when several are planned.
const (
	// OpImport loads a pull request that a campaign tracks but did not create.
	OpImport Operation = "IMPORT"
	// OpPush makes a commit of the diff on the base revision and pushes it to the branch.
	OpPush Operation = "PUSH"
	// OpPublish opens the pull request (on a plain git remote: records the pushed branch).
	OpPublish Operation = "PUBLISH"
	// OpPublishDraft opens it as a draft.
	OpPublishDraft Operation = "PUBLISH_DRAFT"
	// OpUpdate sets title, body and base branch.
	OpUpdate Operation = "UPDATE"
	// OpUndraft marks a draft ready for review.
	OpUndraft Operation = "UNDRAFT"
	// OpClose closes it.
	OpClose Operation = "CLOSE"
	// OpSync loads its state after a change.
	OpSync Operation = "SYNC"
)

// Desired is what a campaign wants a changeset to be.
type Desired struct {
	// Owned is set for changesets a campaign created; tracked ones are only loaded.
	Owned bool
	// Publication is store.PublicationUnpublished, Published or Draft.
	Publication string
	// Closing asks for the pull request to be closed.
	Closing bool
	// DiffSHA identifies the commit to push (CommitIdentity); "" when there is no diff.
	DiffSHA string
	Title   string
	Body    string
	BaseRef string
}

// Current is a changeset as last recorded.
type Current struct {
	// Published is set once the pull request exists (ExternalID known).
	Published bool
	// Loaded is set once its state was loaded from the code host.
	Loaded        bool
	ExternalState string
	PushedDiffSHA string
	Title         string
	Body          string
	BaseRef       string
}

// CurrentOf reads a changeset row.
func CurrentOf(c *store.Changeset) Current {
	return Current{
		Published: c.ExternalID != "", Loaded: c.ExternalState != "", ExternalState: c.ExternalState, PushedDiffSHA: c.PushedDiffSHA,
		Title: c.Title, Body: c.Body, BaseRef: c.BaseRef,
	}
}

// PlanOperations compares a changeset with what its campaign wants and returns what to
// do, in order; nil when nothing. Merged, closed and deleted pull requests are left
// alone (a closed one is not reopened behind its closer's back).
func PlanOperations(cur Current, des Desired) []Operation {
	if !des.Owned {
		if cur.Published && !cur.Loaded {
			return []Operation{OpImport}
		}
		return nil
	}
	open := cur.ExternalState == string(codehost.StateOpen) || cur.ExternalState == string(codehost.StateDraft)
	if des.Closing {
		if cur.Published && open {
			return []Operation{OpClose}
		}
		return nil
	}
	if !cur.Published {
		if des.Publication == store.PublicationUnpublished || des.DiffSHA == "" {
			return nil
		}
		if des.Publication == store.PublicationDraft {
			return []Operation{OpPush, OpPublishDraft}
		}
		return []Operation{OpPush, OpPublish}
	}
	pushed := cur.ExternalState == string(codehost.StatePushed)
	if !open && !pushed {
		return nil
	}
	var ops []Operation
	if des.DiffSHA != "" && des.DiffSHA != cur.PushedDiffSHA {
		ops = append(ops, OpPush)
	}
	if pushed {
		if len(ops) > 0 {
			ops = append(ops, OpPublish) // records the new head of the branch
		}
		return ops
	}
	if !SameTitle(des.Title, cur.Title, cur.ExternalState == string(codehost.StateDraft)) || normalizeBody(des.Body) != normalizeBody(cur.Body) ||
		(des.BaseRef != "" && strings.TrimPrefix(des.BaseRef, "refs/heads/") != cur.BaseRef) {
		ops = append(ops, OpUpdate)
	}
	if cur.ExternalState == string(codehost.StateDraft) && des.Publication == store.PublicationPublished {
		ops = append(ops, OpUndraft)
	}
	if len(ops) > 0 {
		ops = append(ops, OpSync)
	}
	return ops
}

// draftPrefixes are the title prefixes hosts without a draft flag mark drafts with
// (GitLab, Gitea).
var draftPrefixes = []string{"draft:", "[draft]", "(draft)", "wip:", "[wip]"}

// SameTitle compares a wanted title with a host's, ignoring surrounding space and, for a
// draft, the prefix the host (or its client) added to mark it.
func SameTitle(want, got string, draft bool) bool {
	want, got = strings.TrimSpace(want), strings.TrimSpace(got)
	if want == got || !draft {
		return want == got
	}
	for changed := true; changed; {
		changed = false
		for _, p := range draftPrefixes {
			if len(got) >= len(p) && strings.EqualFold(got[:len(p)], p) {
				got, changed = strings.TrimSpace(got[len(p):]), true
			}
		}
	}
	return want == got
}

// normalizeBody ignores what hosts change in a body they store (line endings, trailing
// space).
func normalizeBody(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// CommitIdentity identifies what a push makes: the same base, diff, message and author
// give the same commit (its dates are fixed per changeset), so a retried push is a no-op
// and a changed plan pushes again.
func CommitIdentity(baseRevision, diff, message string, author Author) string {
	h := sha256.New()
	for _, s := range []string{baseRevision, diff, message, author.Name, author.Email} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sync backoff bounds: a changeset is loaded again after as long as it has gone without
// a change, at least MinSyncDelay and at most MaxSyncDelay; webhooks make it due at once.
const (
	MinSyncDelay = 2 * time.Minute
	MaxSyncDelay = 8 * time.Hour
)

// NextSync is when to load a changeset again, synced at lastSync and last changed at
// lastChange: linear backoff on the time since the last change.
func NextSync(lastSync, lastChange time.Time) time.Time {
	d := lastSync.Sub(lastChange)
	if lastChange.IsZero() || d < MinSyncDelay {
		d = MinSyncDelay
	}
	if d > MaxSyncDelay {
		d = MaxSyncDelay
	}
	return lastSync.Add(d)
}

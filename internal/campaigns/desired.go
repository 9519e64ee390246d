package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/store"
)

// DefaultBot is the identity commits are made with when the spec names no author.
var DefaultBot = Author{Name: "Lookout", Email: "campaigns@lookout.invalid"}

// CampaignURL is a campaign's page.
func CampaignURL(externalURL string, id int64) string {
	return strings.TrimRight(externalURL, "/") + "/campaigns/" + string(relay.MarshalID("Campaign", id))
}

// Target is everything the reconciler needs to make a changeset what its campaign wants.
type Target struct {
	Desired  Desired
	Campaign *store.Campaign // nil for a tracked changeset, or when the campaign was deleted
	Job      *store.CampaignJob
	// Branch is the campaign's branch, the base name of the changeset's branch.
	Branch        string
	CommitMessage string
	Author        Author
}

// LoadTarget computes what a changeset should be from its campaign, plan and job.
func LoadTarget(ctx context.Context, st *store.Store, externalURL string, bot Author, c *store.Changeset) (*Target, error) {
	t := &Target{Desired: Desired{Owned: c.OwnedByCampaignID != 0 || c.CampaignJobID != 0, Publication: c.PublicationState, Closing: c.Closing}}
	if !t.Desired.Owned {
		return t, nil
	}
	if c.OwnedByCampaignID != 0 {
		camp, err := st.Campaigns().GetCampaign(ctx, c.OwnedByCampaignID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			t.Campaign = camp
		}
	}
	if t.Campaign == nil || c.CampaignJobID == 0 {
		// Its campaign was deleted, or its plan: it stays as it is, and can only be
		// closed.
		t.Desired.DiffSHA, t.Desired.Title, t.Desired.Body, t.Desired.BaseRef = c.PushedDiffSHA, c.Title, c.Body, c.BaseRef
		return t, nil
	}
	job, err := st.Campaigns().GetJob(ctx, c.CampaignJobID)
	if errors.Is(err, store.ErrNotFound) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	t.Job = job
	var tmpl Template
	if plan, err := st.Campaigns().GetPlan(ctx, job.PlanID); err == nil {
		tmpl = TemplateOf(plan)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	name, description := "", ""
	if t.Campaign != nil {
		name, description, t.Branch = t.Campaign.Name, t.Campaign.Description, t.Campaign.Branch
	}
	if t.Branch == "" {
		t.Branch = tmpl.Branch
	}
	t.Desired.Title = firstNonBlank(tmpl.Title, name)
	body := firstNonBlank(tmpl.Body, description)
	if t.Campaign != nil {
		link := fmt.Sprintf("Created by Lookout campaign [%s](%s).", name, CampaignURL(externalURL, t.Campaign.ID))
		if strings.TrimSpace(body) == "" {
			body = link
		} else {
			body = strings.TrimRight(body, "\n") + "\n\n---\n\n" + link
		}
	}
	t.Desired.Body = body
	t.Desired.BaseRef = job.BaseRef
	t.CommitMessage = firstNonBlank(tmpl.Commit.Message, name, "Lookout campaign")
	t.Author = bot
	if a := tmpl.Commit.Author; a != nil {
		t.Author = *a
	}
	if job.HasDiff() {
		t.Desired.DiffSHA = CommitIdentity(job.BaseRevision, *job.Diff, t.CommitMessage, t.Author)
	}
	return t, nil
}

func firstNonBlank(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

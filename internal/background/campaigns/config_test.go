package campaigns_test

import (
	"testing"

	campaignsbg "github.com/lookout/lookout/internal/background/campaigns"
)

// Workspaces live beside the process's mirror cache, so two checkouts (or two workers with
// their own REPOS_DIR) on one host never share a workspace directory.
func TestWorkspaceRootDefaultsBesideTheMirrorCache(t *testing.T) {
	t.Setenv("CAMPAIGNS_WORKSPACE_ROOT", "")
	for reposDir, want := range map[string]string{
		"/home/ada/lookout/.dev/repos": "/home/ada/lookout/.dev/repos-workspaces",
		"/home/ada/other/.dev/repos/":  "/home/ada/other/.dev/repos-workspaces",
		"/tmp/lookout-repos":           "/tmp/lookout-repos-workspaces",
	} {
		c, err := campaignsbg.ConfigFromEnv(reposDir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Executor.Root != want {
			t.Errorf("REPOS_DIR=%s: workspaces in %s, want %s", reposDir, c.Executor.Root, want)
		}
	}
	t.Setenv("CAMPAIGNS_WORKSPACE_ROOT", "/mnt/tmpfs/ws")
	if c, _ := campaignsbg.ConfigFromEnv("/tmp/lookout-repos"); c.Executor.Root != "/mnt/tmpfs/ws" {
		t.Errorf("CAMPAIGNS_WORKSPACE_ROOT ignored: %s", c.Executor.Root)
	}
}

// Command seed fills a fresh Lookout with a demo: a few local git repositories with a dated
// history, registered through the GraphQL API as a GIT code host connection with a webhook
// secret, and a post-commit hook in each repository (dev/git-hooks/lookout-push) that
// announces commits to Lookout, so monitors see them at once. It is idempotent:
// repositories and the secret are made once, the connection is added when missing (and
// given the secret when it has none).
//
//	go run ./dev/seed -url http://127.0.0.1:3080 -token <admin token> -dir .dev/demo
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", envOr("LOOKOUT_URL", "http://127.0.0.1:3080"), "Lookout's URL")
	token := flag.String("token", os.Getenv("LOOKOUT_TOKEN"), "a site admin's access token")
	dir := flag.String("dir", ".dev/demo", "where the demo repositories live")
	hook := flag.String("hook", "dev/git-hooks/lookout-push", "the hook that announces commits")
	flag.Parse()
	if *token == "" {
		fail("a token is required (-token or LOOKOUT_TOKEN)")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fail(err.Error())
	}
	var paths []string
	for _, r := range demoRepos {
		p := filepath.Join(abs, r.name)
		if err := r.make(p); err != nil {
			fail(fmt.Sprintf("making %s: %v", r.name, err))
		}
		paths = append(paths, p)
	}
	secret, err := webhookSecret(filepath.Join(abs, ".webhook-secret"))
	if err != nil {
		fail(err.Error())
	}
	for _, p := range paths {
		if err := installHook(p, *hook, *url, secret); err != nil {
			fail(fmt.Sprintf("installing the hook in %s: %v", p, err))
		}
	}
	api := &client{url: strings.TrimRight(*url, "/") + "/.api/graphql", token: *token}
	cfg, _ := json.Marshal(map[string]any{"repos": paths, "webhookSecret": secret})
	var existing struct {
		ExternalServices struct {
			Nodes []struct{ ID, DisplayName, Config string }
		}
	}
	api.do(`{ externalServices(first: 100) { nodes { id displayName config } } }`, nil, &existing)
	for _, n := range existing.ExternalServices.Nodes {
		if n.DisplayName != connectionName {
			continue
		}
		if !strings.Contains(n.Config, `"webhookSecret"`) { // made by an older seed
			api.do(`mutation($id: ID!, $config: String!) { updateExternalService(input: {id: $id, config: $config}) { id } }`,
				map[string]any{"id": n.ID, "config": string(cfg)}, nil)
			fmt.Fprintf(os.Stderr, "seed: gave %q its webhook secret\n", connectionName)
		}
		return
	}
	api.do(`mutation($config: String!, $name: String!) { addExternalService(input: {kind: GIT, displayName: $name, config: $config}) { id } }`,
		map[string]any{"config": string(cfg), "name": connectionName}, nil)
	fmt.Fprintf(os.Stderr, "seed: added %q with %d repositories (the worker clones them in a few seconds)\n", connectionName, len(paths))
}

// webhookSecret returns the demo connection's webhook secret, made once and kept in path.
func webhookSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

// installHook makes the repository announce its commits to Lookout.
func installHook(repo, hook, url, secret string) error {
	data, err := os.ReadFile(hook)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", "post-commit"), data, 0o755); err != nil {
		return err
	}
	if err := git(repo, nil, "config", "lookout.url", url); err != nil {
		return err
	}
	return git(repo, nil, "config", "lookout.webhookSecret", secret)
}

const connectionName = "Demo repositories"

type demoRepo struct {
	name    string
	commits []demoCommit
}

type demoCommit struct {
	daysAgo int
	author  string
	message string
	files   map[string]string
}

var demoRepos = []demoRepo{
	{name: "payments-service", commits: []demoCommit{
		{120, "Ada <ada@example.com>", "Start the payments service", map[string]string{
			"go.mod":  "module example.com/payments\n\ngo 1.22\n",
			"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"payments\")\n}\n",
		}},
		{90, "Grace <grace@example.com>", "Shell out to the ledger tool", map[string]string{
			"ledger.go": "package main\n\nimport \"os/exec\"\n\n// TODO: replace with the ledger API\nfunc post(entry string) error {\n\treturn exec.Command(\"ledger\", \"post\", entry).Run()\n}\n",
		}},
		{30, "Ada <ada@example.com>", "Add refunds", map[string]string{
			"refund.go": "package main\n\nimport \"os/exec\"\n\nfunc refund(id string) error {\n\t// TODO: idempotency key\n\treturn exec.Command(\"ledger\", \"refund\", id).Run()\n}\n",
		}},
		{3, "Linus <linus@example.com>", "Log refunds", map[string]string{
			"refund.go": "package main\n\nimport (\n\t\"log\"\n\t\"os/exec\"\n)\n\nfunc refund(id string) error {\n\tlog.Printf(\"refund %s\", id)\n\treturn exec.Command(\"ledger\", \"refund\", id).Run()\n}\n",
		}},
	}},
	{name: "web-frontend", commits: []demoCommit{
		{100, "Grace <grace@example.com>", "Initial frontend", map[string]string{
			"package.json": "{\n  \"name\": \"web-frontend\",\n  \"version\": \"1.0.0\"\n}\n",
			"src/app.ts":   "export function greet(name: string): string {\n  // TODO: i18n\n  return `Hello, ${name}`;\n}\n",
		}},
		{10, "Ada <ada@example.com>", "Use the payments API", map[string]string{
			"src/pay.ts": "export async function pay(amount: number) {\n  const res = await fetch('/api/pay', { method: 'POST', body: JSON.stringify({ amount }) });\n  return res.json();\n}\n",
		}},
	}},
	{name: "infra-scripts", commits: []demoCommit{
		{200, "Linus <linus@example.com>", "Deploy script", map[string]string{
			"deploy.py": "import subprocess\n\n\ndef deploy(env):\n    # TODO: stop using shell=True\n    subprocess.run(f\"./deploy.sh {env}\", shell=True)\n",
			"README.md": "# Infra scripts\n",
		}},
	}},
}

// make creates the repository with its history unless it exists.
func (r demoRepo) make(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := git(dir, nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	for _, c := range r.commits {
		for path, content := range c.files {
			full := filepath.Join(dir, path)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				return err
			}
		}
		if err := git(dir, nil, "add", "-A"); err != nil {
			return err
		}
		date := time.Now().AddDate(0, 0, -c.daysAgo).UTC().Format(time.RFC3339)
		name, email, _ := strings.Cut(c.author, " <")
		env := []string{"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + strings.TrimSuffix(email, ">"),
			"GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + strings.TrimSuffix(email, ">"),
			"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
		if err := git(dir, env, "commit", "-q", "-m", c.message); err != nil {
			return err
		}
	}
	return nil
}

func git(dir string, env []string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

type client struct{ url, token string }

func (c *client) do(query string, vars map[string]any, out any) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err.Error())
	}
	defer resp.Body.Close()
	var res struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		fail(fmt.Sprintf("status %d: %v", resp.StatusCode, err))
	}
	if len(res.Errors) > 0 {
		fail(res.Errors[0].Message)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			fail(err.Error())
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "seed:", msg)
	os.Exit(1)
}

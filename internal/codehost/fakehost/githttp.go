package fakehost

import (
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// serveGit serves a repository's GitDir over git's smart HTTP protocol through
// `git http-backend`, when the path is the repository's clone URL (prefix + path +
// ".git" + what git appends). Fetching a public repository needs no credentials, like
// on the real hosts; pushing, or fetching a private one, needs Basic auth with the
// token as password. It returns false when the path is not a clone URL.
func (h *Host) serveGit(w http.ResponseWriter, r *http.Request, prefix string) bool {
	m := gitPathRE.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, prefix))
	if !strings.HasPrefix(r.URL.Path, prefix) || m == nil {
		return false
	}
	h.mu.Lock()
	repo := h.repoLocked(m[1])
	var dir string
	var private bool
	if repo != nil {
		dir, private = repo.GitDir, repo.Private
	}
	token, username := h.token, h.username
	h.mu.Unlock()
	if dir == "" {
		http.Error(w, "Repository not found.", http.StatusNotFound)
		return true
	}
	push := strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
	user := ""
	if u, _, ok := r.BasicAuth(); ok && bearerOrToken(r, token, username) {
		user = u
	}
	if user == "" && (push || private) {
		w.Header().Set("WWW-Authenticate", `Basic realm="fakehost"`)
		http.Error(w, "Authentication required", http.StatusUnauthorized)
		return true
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		http.Error(w, "git not installed", http.StatusInternalServerError)
		return true
	}
	env := []string{"GIT_PROJECT_ROOT=" + filepath.Dir(dir), "GIT_HTTP_EXPORT_ALL=1"}
	if user != "" {
		// http-backend enables receive-pack only for authenticated users.
		env = append(env, "REMOTE_USER="+user)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + filepath.Base(dir) + m[2]
	r2.URL.RawPath = ""
	(&cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: env}).ServeHTTP(w, r2)
	return true
}

var gitPathRE = regexp.MustCompile(`^/(.+?)\.git(/.*)?$`)

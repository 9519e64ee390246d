-- Failed sign-ins per user name ('user:<name>') and per client address ('addr:<ip>'),
-- counted in a window that starts at the first failure. The frontend refuses a key
-- with too many failures in its window until the window ends (auth.LoginThrottle).
-- It lives in Postgres so that the limit holds across frontends behind one load
-- balancer and across restarts.
CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_window_start ON login_failures (window_start);

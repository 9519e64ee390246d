// Package browsertest drives the web app in a real headless Chromium for Go tests and the
// web app benchmark (dev/bench/webapp).
//
// The browser is Debian's chromium, driven through the DevTools protocol by chromedp. The
// tests run inside `go test` rather than in a separate JavaScript runner (Playwright,
// Cypress) because what they assert spans the whole system: a code monitor created in
// the form fires when a test pushes to a real git repository, the worker routines run in
// the same process, and the test reads Postgres and the webhook receiver directly. A JS
// runner would need all of that started and reset from outside, through extra endpoints.
//
// One browser is shared by all tests of a package (Start in TestMain); each test opens
// its own tab in its own browser context (NewTab), so cookies and storage never leak
// between tests that run in parallel. Every page a test checks with CheckA11y is audited
// with axe-core (injected from the npm package the web app installs), and the test fails
// on serious or critical violations. When a test fails, its tab's screenshot and console
// log are written to a directory whose path the test prints.
//
// Without chromium the tests skip with how to install it, except under CI=true, where
// they fail: CI must never pass by running nothing.
package browsertest

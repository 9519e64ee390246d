// Package notify delivers monitor notifications: email over SMTP, signed webhooks and Slack
// incoming webhooks. It knows nothing of the database: callers (the code monitor and issue
// monitor action workers, the test-action mutations) fill a Notification and pass the target.
//
// Three concerns live here because every sender shares them:
//
//   - Rendering. One neutral model (Notification) becomes an email (subject, text and HTML
//     from templates), the webhook JSON of the reference, or Slack blocks. Each shown match
//     is cut at MaxMatchLines / MaxMatchBytes, and email and Slack show at most
//     MaxShownResults results, so a monitor matching a huge diff cannot produce a huge message.
//
//   - Outgoing URL safety. Webhook and Slack URLs are written by users, so a request to one
//     must not reach the service's own network (cloud metadata, databases, admin ports).
//     SafeClient checks every address it actually connects to (at dial time, so DNS
//     rebinding cannot slip past a check made earlier), re-checks redirects, bounds the time
//     and the response read. Admins allow exceptions with WEBHOOK_ALLOWED_HOSTS.
//
//   - Retries without duplicates. Every send takes a caller-chosen delivery ID (stable for
//     one action job) that becomes the email Message-ID and the X-Lookout-Delivery header,
//     so a receiver can recognise a retried delivery; IsPermanent tells the worker which
//     failures no retry can fix.
package notify

// The web session: the frontend's cookie + CSRF flow (POST /.auth/login sets an HttpOnly
// cookie and returns the CSRF token; GET /.auth/session returns it again after a reload).
// These three endpoints are the only non-GraphQL calls the app makes: a session must exist
// before GraphQL can be called with it. The CSRF token lives in memory only; the GraphQL
// link (../client.ts) sends it on every request.

export interface Session {
  username: string
  csrfToken: string
}

let current: Session | null = null

/** The CSRF token of the signed-in session, or null. */
export function csrfToken(): string | null {
  return current?.csrfToken ?? null
}

/** An error the auth endpoints answered with, worded for a person. */
export class AuthError extends Error {}

async function errorOf(resp: Response): Promise<AuthError> {
  return new AuthError(authErrorMessage(resp.status, resp.headers.get('Retry-After'), await resp.text()))
}

/**
 * What a person is told when an auth endpoint refuses: the server's message, or for 429
 * (too many failed sign-ins) how long to wait, from Retry-After (seconds or an HTTP date).
 */
export function authErrorMessage(status: number, retryAfter: string | null, body: string, now = Date.now()): string {
  if (status === 429) {
    let seconds = Number(retryAfter)
    if (retryAfter && !Number.isFinite(seconds)) seconds = (Date.parse(retryAfter) - now) / 1000
    const wait = retryAfter && Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${formatSeconds(seconds)}.` : ' Try again later.'
    return `Too many failed sign-in attempts.${wait}`
  }
  try {
    const parsed = JSON.parse(body) as { errors?: { message?: string }[] }
    const message = parsed.errors?.[0]?.message
    if (message) return message.charAt(0).toUpperCase() + message.slice(1) + (message.endsWith('.') ? '' : '.')
  } catch {
    // not JSON: fall through to the status
  }
  return `Sign-in failed (HTTP ${status}).`
}

export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.ceil(s)} second${Math.ceil(s) === 1 ? '' : 's'}`
  return `${Math.ceil(s / 60)} minutes`
}

/** Loads the session of the cookie, if any. Null when signed out. */
export async function loadSession(): Promise<Session | null> {
  const resp = await fetch('/.auth/session', { credentials: 'same-origin' })
  if (resp.status === 401) {
    current = null
    return null
  }
  if (!resp.ok) throw await errorOf(resp)
  current = (await resp.json()) as Session
  return current
}

/** Signs in; throws an AuthError with the server's reason on failure. */
export async function signIn(username: string, password: string): Promise<Session> {
  const resp = await fetch('/.auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!resp.ok) throw await errorOf(resp)
  current = (await resp.json()) as Session
  return current
}

export async function signOut(): Promise<void> {
  const headers: Record<string, string> = {}
  if (current) headers['X-Lookout-CSRF'] = current.csrfToken
  await fetch('/.auth/logout', { method: 'POST', credentials: 'same-origin', headers })
  current = null
}

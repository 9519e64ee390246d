import { describe, expect, it } from 'vitest'
import { authErrorMessage } from './session'

describe('authErrorMessage', () => {
  it('shows the server message of a refused sign-in', () => {
    const body = JSON.stringify({ errors: [{ message: 'wrong username or password', extensions: { code: 'UNAUTHENTICATED' } }] })
    expect(authErrorMessage(401, null, body)).toBe('Wrong username or password.')
  })
  it('says how long to wait after too many failures (Retry-After in seconds)', () => {
    expect(authErrorMessage(429, '30', '')).toBe('Too many failed sign-in attempts. Try again in 30 seconds.')
    expect(authErrorMessage(429, '600', '')).toBe('Too many failed sign-in attempts. Try again in 10 minutes.')
  })
  it('reads Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(authErrorMessage(429, 'Thu, 01 Jan 2026 00:00:05 GMT', '', now)).toBe('Too many failed sign-in attempts. Try again in 5 seconds.')
  })
  it('without Retry-After asks to try later', () => {
    expect(authErrorMessage(429, null, '')).toBe('Too many failed sign-in attempts. Try again later.')
  })
  it('falls back to the status for a body that is not JSON', () => {
    expect(authErrorMessage(502, null, '<html>bad gateway</html>')).toBe('Sign-in failed (HTTP 502).')
  })
})

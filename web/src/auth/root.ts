// The root route's loader and the sign-in/sign-out actions: the session is resolved
// before any page renders, so pages never flash a signed-out state.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from 'react-router'
import { client } from '../client'
import type { CurrentUserQuery } from '../graphql/graphql'
import { CURRENT_USER } from './backend'
import { AuthError, loadSession, signIn, signOut } from './session'

export type CurrentUser = NonNullable<CurrentUserQuery['currentUser']>

export interface RootData {
  user: CurrentUser | null
}

let pending: Promise<RootData> | null = null

/**
 * The signed-in user, loaded once and shared by the root, signed-in and site-admin
 * loaders; sign-in and sign-out load it again.
 */
export function rootLoader(): Promise<RootData> {
  pending ??= (async () => {
    const session = await loadSession()
    if (!session) return { user: null }
    const { data } = await client.query({ query: CURRENT_USER, fetchPolicy: 'network-only' })
    return { user: data?.currentUser ?? null }
  })().catch((err: unknown) => {
    pending = null
    throw err
  })
  return pending
}

/** Sends signed-out visitors of a page to the sign-in page, and back afterwards. */
export function requireUser(user: CurrentUser | null, request: Request): CurrentUser {
  if (!user) {
    const url = new URL(request.url)
    throw redirect(`/sign-in?returnTo=${encodeURIComponent(url.pathname + url.search)}`)
  }
  return user
}

export async function signedInLoader({ request }: LoaderFunctionArgs): Promise<null> {
  const { user } = await rootLoader()
  requireUser(user, request)
  return null
}

/** Only a same-site path, so a crafted link cannot send a new session elsewhere. */
export function safeReturnTo(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) return '/search'
  return raw
}

export async function signInAction({ request }: ActionFunctionArgs): Promise<{ error: string } | Response> {
  const form = await request.formData()
  const username = String(form.get('username') ?? '').trim()
  const password = String(form.get('password') ?? '')
  if (!username || !password) return { error: 'Enter your username and password.' }
  try {
    await signIn(username, password)
  } catch (err) {
    return { error: err instanceof AuthError ? err.message : `Could not reach Lookout: ${String(err)}` }
  }
  pending = null
  await client.clearStore()
  return redirect(safeReturnTo(new URL(request.url).searchParams.get('returnTo')))
}

export async function signOutAction(): Promise<Response> {
  await signOut()
  pending = null
  await client.clearStore()
  return redirect('/sign-in')
}

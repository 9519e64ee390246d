import { useRouteLoaderData } from 'react-router'
import type { CurrentUser, RootData } from '../auth/root'

/** The signed-in user (pages under the signed-in routes always have one). */
export function useCurrentUser(): CurrentUser {
  const data = useRouteLoaderData('root') as RootData | undefined
  if (!data?.user) throw new Error('not signed in')
  return data.user
}

import { Form, Navigate, useActionData, useNavigation, useRouteLoaderData, useSearchParams } from 'react-router'
import { Page } from '../components/Page'
import { safeReturnTo, type RootData } from './root'

export function SignInPage() {
  const root = useRouteLoaderData('root') as RootData | undefined
  const result = useActionData() as { error: string } | undefined
  const navigation = useNavigation()
  const [params] = useSearchParams()
  if (root?.user) return <Navigate to={safeReturnTo(params.get('returnTo'))} replace />
  const busy = navigation.state !== 'idle'
  return (
    <Page title="Sign in">
      <Form method="post" className="form narrow" aria-describedby={result?.error ? 'sign-in-error' : undefined}>
        {result?.error ? (
          <div id="sign-in-error" className="alert alert-error" role="alert">
            {result.error}
          </div>
        ) : null}
        <label>
          Username
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </Form>
    </Page>
  )
}

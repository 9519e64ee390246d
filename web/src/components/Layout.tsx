import { Form, NavLink, Outlet, useNavigation, useRouteLoaderData } from 'react-router'
import type { RootData } from '../auth/root'
import { InvitationsMenu } from '../user/InvitationsMenu'

/** The app shell: a skip link, the navigation bar and the page. */
export function Layout() {
  const { user } = (useRouteLoaderData('root') as RootData | undefined) ?? { user: null }
  const navigation = useNavigation()
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="navbar">
        <NavLink to="/search" className="brand">
          Lookout
        </NavLink>
        {user ? (
          <nav aria-label="Main">
            <ul>
              <li>
                <NavLink to="/search">Search</NavLink>
              </li>
              <li>
                <NavLink to="/code-monitoring">Code monitors</NavLink>
              </li>
              <li>
                <NavLink to="/issue-monitoring">Issue monitors</NavLink>
              </li>
              <li>
                <NavLink to="/insights">Insights</NavLink>
              </li>
              <li>
                <NavLink to="/campaigns">Campaigns</NavLink>
              </li>
              {user.siteAdmin ? (
                <li>
                  <NavLink to="/site-admin">Site admin</NavLink>
                </li>
              ) : null}
            </ul>
          </nav>
        ) : null}
        <div className="navbar-user">
          {user ? (
            <>
              <InvitationsMenu />
              <NavLink to={`/users/${user.username}/settings/tokens`} aria-label={`Settings of ${user.username}`}>
                {user.username}
              </NavLink>
              <Form method="post" action="/sign-out">
                <button type="submit" className="btn btn-link">
                  Sign out
                </button>
              </Form>
            </>
          ) : (
            <NavLink to="/sign-in">Sign in</NavLink>
          )}
        </div>
      </header>
      {navigation.state === 'loading' ? <div className="progress" role="progressbar" aria-label="Loading page" /> : null}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  )
}

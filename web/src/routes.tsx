// The app's routes. Every URL Lookout puts in a notification, a pull request or an API
// field resolves here (see internal/webapp's route test). Pages are loaded lazily per
// area, so the first load ships only the shell and the page asked for.
import { createBrowserRouter, redirect, type RouteObject } from 'react-router'
import { rootLoader, signedInLoader, signInAction, signOutAction } from './auth/root'
import { SignInPage } from './auth/SignInPage'
import { Layout } from './components/Layout'
import { Loading } from './components/Loading'
import { NotFound, RouteError } from './components/RouteError'
import { siteAdminLoader } from './admin/guard'
import { insightsRoutes } from './insights/routes'

type Module = Record<string, unknown>

/** A lazily loaded page: the named export of a module, as the route's Component. */
function page<M extends Module>(load: () => Promise<M>, name: keyof M & string): Pick<RouteObject, 'lazy'> {
  return {
    lazy: async () => ({ Component: (await load())[name] as React.ComponentType }),
  }
}

export const routes: RouteObject[] = [
  {
    id: 'root',
    path: '/',
    loader: rootLoader,
    // Loaders run again only after actions (sign-in/out), not on every navigation.
    shouldRevalidate: ({ formMethod }) => formMethod !== undefined,
    Component: Layout,
    HydrateFallback: () => <Loading />,
    errorElement: <RouteError />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, loader: () => redirect('/search') },
          { path: 'sign-in', Component: SignInPage, action: signInAction },
          { path: 'sign-out', action: signOutAction, loader: () => redirect('/') },
          {
            loader: signedInLoader,
            shouldRevalidate: () => false,
            children: [
              { path: 'code-monitoring', ...page(() => import('./codemonitors/ListPage'), 'CodeMonitorsListPage') },
              { path: 'code-monitoring/new', ...page(() => import('./codemonitors/EditPage'), 'CreateCodeMonitorPage') },
              { path: 'code-monitoring/:id', ...page(() => import('./codemonitors/EditPage'), 'MonitorPage') },
              { path: 'code-monitoring/:id/logs', ...page(() => import('./codemonitors/LogsPage'), 'CodeMonitorLogsPage') },
              ...insightsRoutes(page),
              {
                path: 'site-admin',
                loader: siteAdminLoader,
                shouldRevalidate: () => false,
                children: [
                  { index: true, loader: () => redirect('/site-admin/background-jobs') },
                  { path: '*', Component: NotFound },
                ],
              },
              // Repository pages: /github.com/owner/name, .../-/commit/SHA, .../-/blob/PATH.
              // Repository names hold slashes, so one splat route splits them at /-/.
            ],
          },
        ],
      },
    ],
  },
]

export function createRouter() {
  return createBrowserRouter(routes)
}

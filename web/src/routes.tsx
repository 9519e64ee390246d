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
import { campaignsRoutes } from './campaigns/routes'
import { insightsRoutes } from './insights/routes'

type Module = Record<string, unknown>

/** A lazily loaded page: the named export of a module, as the route's Component. */
function page<M extends Module>(load: () => Promise<M>, name: keyof M & string): Pick<RouteObject, 'lazy'> {
  return {
    lazy: async () => ({ Component: (await load())[name] as React.ComponentType }),
  }
}

/** The lazy page helper, as the areas' route lists take it. */
export type LazyPage = typeof page

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
              { path: 'search', ...page(() => import('./search/SearchPage'), 'SearchPage') },
              { path: 'code-monitoring', ...page(() => import('./codemonitors/ListPage'), 'CodeMonitorsListPage') },
              { path: 'code-monitoring/new', ...page(() => import('./codemonitors/EditPage'), 'CreateCodeMonitorPage') },
              { path: 'code-monitoring/:id', ...page(() => import('./codemonitors/EditPage'), 'MonitorPage') },
              { path: 'code-monitoring/:id/logs', ...page(() => import('./codemonitors/LogsPage'), 'CodeMonitorLogsPage') },
              { path: 'code-monitoring/:id/alerts/:alertId', ...page(() => import('./issuemonitors/AlertPage'), 'IssueAlertPage') },
              { path: 'issue-monitoring', ...page(() => import('./issuemonitors/ListPage'), 'IssueMonitorsListPage') },
              { path: 'issue-monitoring/new', ...page(() => import('./issuemonitors/EditPage'), 'CreateIssueMonitorPage') },
              { path: 'issue-monitoring/:id', ...page(() => import('./issuemonitors/DetailPage'), 'IssueMonitorPage') },
              { path: 'issue-monitoring/:id/edit', ...page(() => import('./issuemonitors/EditPage'), 'EditIssueMonitorPage') },
              { path: 'users/:username', ...page(() => import('./user/UserPage'), 'UserPage') },
              { path: 'users/:username/settings/tokens', ...page(() => import('./user/TokensPage'), 'AccessTokensPage') },
              { path: 'organizations/:name', ...page(() => import('./user/OrgPage'), 'OrgPage') },
              { path: 'organizations/:name/invitation', ...page(() => import('./user/InvitationPage'), 'OrgInvitationPage') },
              ...campaignsRoutes(page),
              ...insightsRoutes(page),
              {
                path: 'site-admin',
                loader: siteAdminLoader,
                shouldRevalidate: () => false,
                ...page(() => import('./admin/SiteAdminLayout'), 'SiteAdminLayout'),
                children: [
                  { index: true, loader: () => redirect('/site-admin/background-jobs') },
                  { path: 'external-services', ...page(() => import('./admin/ExternalServicesPage'), 'ExternalServicesPage') },
                  { path: 'external-services/new', ...page(() => import('./admin/ExternalServicePage'), 'NewExternalServicePage') },
                  { path: 'external-services/:id', ...page(() => import('./admin/ExternalServicePage'), 'ExternalServicePage') },
                  { path: 'repositories', ...page(() => import('./admin/RepositoriesPage'), 'RepositoriesPage') },
                  { path: 'users', ...page(() => import('./admin/UsersPage'), 'UsersPage') },
                  { path: 'organizations', ...page(() => import('./admin/OrganizationsPage'), 'OrganizationsPage') },
                  { path: 'background-jobs', ...page(() => import('./admin/BackgroundJobsPage'), 'BackgroundJobsPage') },
                  { path: '*', Component: NotFound },
                ],
              },
              // Repository pages: /github.com/owner/name, .../-/commit/SHA, .../-/blob/PATH.
              // Repository names hold slashes, so one splat route splits them at /-/.
              { path: '*', ...page(() => import('./repo/RepoRoutes'), 'RepoRoutes') },
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

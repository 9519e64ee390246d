// The code insights routes, mounted under the signed-in routes by ../routes.tsx (which
// passes its lazy page helper, so each page loads on first visit).
import type { RouteObject } from 'react-router'
import type { LazyPage } from '../routes'
import { prefetchDashboard } from './prefetch'

export function insightsRoutes(page: LazyPage): RouteObject[] {
  const dashboards = () => import('./DashboardPage')
  const forms = () => import('./DashboardFormPage')
  const create = () => import('./CreatePages')
  return [
    { path: 'insights', ...page(dashboards, 'InsightsHome') },
    { path: 'insights/all', ...page(dashboards, 'AllInsightsPage') },
    {
      path: 'insights/dashboards/:dashboardId',
      loader: ({ params }) => prefetchDashboard(params.dashboardId ?? ''),
      ...page(dashboards, 'DashboardPage'),
    },
    { path: 'insights/dashboards/:dashboardId/edit', ...page(forms, 'EditDashboardPage') },
    { path: 'insights/add-dashboard', ...page(forms, 'AddDashboardPage') },
    { path: 'insights/create', ...page(create, 'CreateInsightChooser') },
    { path: 'insights/create/:kind', ...page(create, 'CreateInsightPage') },
    { path: 'insights/:insightId', ...page(() => import('./InsightPage'), 'InsightPage') },
    { path: 'insights/:insightId/edit', ...page(create, 'EditInsightPage') },
  ]
}

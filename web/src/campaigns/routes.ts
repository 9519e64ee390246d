// The campaign routes, mounted under the signed-in routes by ../routes.tsx (which passes
// its lazy page helper, so each page loads on first visit).
import type { RouteObject } from 'react-router'
import type { LazyPage } from '../routes'

export function campaignsRoutes(page: LazyPage): RouteObject[] {
  return [
    { path: 'campaigns', ...page(() => import('./ListPage'), 'CampaignsListPage') },
    { path: 'campaigns/new', ...page(() => import('./NewCampaignPage'), 'NewCampaignPage') },
    { path: 'campaigns/plans/:planId', ...page(() => import('./PlanPage'), 'PlanPage') },
    { path: 'campaigns/:id', ...page(() => import('./CampaignPage'), 'CampaignPage') },
  ]
}

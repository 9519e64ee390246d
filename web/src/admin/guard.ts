import { data, type LoaderFunctionArgs } from 'react-router'
import { requireUser, rootLoader } from '../auth/root'

/** Site admin pages answer 403 to others (the API refuses them as well). */
export async function siteAdminLoader({ request }: LoaderFunctionArgs): Promise<null> {
  const user = requireUser((await rootLoader()).user, request)
  if (!user.siteAdmin) {
    throw data('You must be a site admin to see this page.', { status: 403, statusText: 'Forbidden' })
  }
  return null
}

import { isRouteErrorResponse, Link, useRouteError } from 'react-router'
import { Page } from './Page'
import { errorMessage } from './ErrorAlert'

/** What a route shows when its loader or page failed: the message, never a blank page. */
export function RouteError() {
  const error = useRouteError()
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFound />
  return (
    <Page title="Something went wrong">
      <div className="alert alert-error" role="alert">
        {isRouteErrorResponse(error) ? `${error.status} ${error.statusText}${typeof error.data === 'string' ? `: ${error.data}` : ''}` : errorMessage(error)}
      </div>
      <p>
        <Link to="/search">Go to search</Link>
      </p>
    </Page>
  )
}

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <Page title="Not found">
      <p>
        There is no such {what}. <Link to="/search">Go to search</Link>
      </p>
    </Page>
  )
}

import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors'

/** The message a person should see for an error from the API or the network. */
export function errorMessage(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => e.message).join('; ')
  }
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message?: string }[] }
      const messages = body.errors?.map((e) => e.message).filter(Boolean)
      if (messages?.length) return messages.join('; ')
    } catch {
      // not JSON
    }
    return `The server answered HTTP ${error.statusCode}.`
  }
  if (error instanceof Error) return error.message
  return String(error)
}

/** The extensions.code of the first GraphQL error, when there is one. */
export function errorCode(error: unknown): string | undefined {
  if (CombinedGraphQLErrors.is(error)) {
    const code = error.errors[0]?.extensions?.['code']
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

/** Whether a search's error is the query's fault (not the server's, nor a busy slot). */
export function isQueryError(error: unknown): boolean {
  const code = errorCode(error)
  return code === 'InvalidQuery' || code === 'BAD_USER_INPUT'
}

/** An API error shown in place, with its message, and a way to try again when given one. */
export function ErrorAlert({ error, prefix, onRetry }: { error: unknown; prefix?: string; onRetry?: () => void }) {
  if (!error) return null
  // The server runs one search or preview per user at a time; one that waited its turn
  // too long is RATE_LIMITED and worth repeating as it is.
  const busy = errorCode(error) === 'RATE_LIMITED'
  return (
    <div className="alert alert-error" role="alert">
      {busy ? <strong>Lookout is busy with another search of yours. </strong> : prefix ? <strong>{prefix}: </strong> : null}
      {errorMessage(error)}
      {onRetry ? (
        <>
          {' '}
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Try again
          </button>
        </>
      ) : null}
    </div>
  )
}

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

/** An API error shown in place, with its message. */
export function ErrorAlert({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null
  return (
    <div className="alert alert-error" role="alert">
      {prefix ? <strong>{prefix}: </strong> : null}
      {errorMessage(error)}
    </div>
  )
}

import { useEffect, type ReactNode } from 'react'

/** A page's title (document title and h1) and its actions. */
export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} - Lookout`
  }, [title])
  return (
    <>
      <div className="page-header">
        <h1>{title}</h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </div>
      {children}
    </>
  )
}

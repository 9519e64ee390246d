import { NavLink, Outlet } from 'react-router'

const sections = [
  ['background-jobs', 'Background jobs'],
  ['external-services', 'Code host connections'],
  ['repositories', 'Repositories'],
  ['users', 'Users'],
  ['organizations', 'Organizations'],
] as const

/** The site admin area: a section menu beside the page. */
export function SiteAdminLayout() {
  return (
    <div className="sidebar-layout">
      <nav aria-label="Site admin">
        <ul>
          {sections.map(([path, label]) => (
            <li key={path}>
              <NavLink to={`/site-admin/${path}`}>{label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <section>
        <Outlet />
      </section>
    </div>
  )
}

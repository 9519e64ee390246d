import { Link } from 'react-router'
import { Page } from '../components/Page'

function escapeRegexp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * /:repo/-/blob/:path, where search results and issues link a file: the file's
 * repository and searches scoped to it (the API serves matches, not whole files).
 */
export function BlobPage({ repo, path }: { repo: string; path: string }) {
  const scope = `repo:^${escapeRegexp(repo)}$ file:^${escapeRegexp(path)}$`
  return (
    <Page title={path}>
      <p>
        In <Link to={`/${repo}`}>{repo}</Link>
      </p>
      <ul>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' ')}`}>Search in this file</Link>
        </li>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' type:commit')}`}>Commits that changed it</Link>
        </li>
      </ul>
    </Page>
  )
}

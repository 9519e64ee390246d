// A diff by file and hunk, as the API's CommitDiff gives it: a commit page and the
// campaign pages (plan preview, changesets) show diffs the same way.

export interface FileDiffData {
  oldPath: string | null
  newPath: string | null
  status: string
  binary: boolean
  hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number; section: string; body: string }[]
}

/** The lines a file's hunks add and delete. */
export function fileStat(f: FileDiffData): { added: number; deleted: number } {
  let added = 0
  let deleted = 0
  for (const h of f.hunks) {
    for (const line of h.body.split('\n')) {
      if (line.startsWith('+')) added++
      else if (line.startsWith('-')) deleted++
    }
  }
  return { added, deleted }
}

/** +N −M (in words on hover). */
export function DiffStatText({ added, deleted }: { added: number; deleted: number }) {
  return (
    <span className="diff-stat" title={`${added} line${added === 1 ? '' : 's'} added, ${deleted} deleted`}>
      <span className="diff-stat-add">+{added}</span> <span className="diff-stat-del">−{deleted}</span>
    </span>
  )
}

export function FileDiffs({ files, stats = false, level = 3 }: { files: FileDiffData[]; stats?: boolean; level?: 3 | 4 }) {
  const Heading = level === 3 ? 'h3' : 'h4'
  return (
    <>
      {files.map((f, i) => (
        <section key={i} className="file-diff" aria-label={f.newPath ?? f.oldPath ?? 'file'}>
          <Heading>
            {f.status === 'RENAMED' ? `${f.oldPath} → ${f.newPath}` : (f.newPath ?? f.oldPath)} <span className="hint">{f.status.toLowerCase()}</span>
            {stats ? (
              <>
                {' '}
                <DiffStatText {...fileStat(f)} />
              </>
            ) : null}
          </Heading>
          {f.binary ? <p className="muted code">Binary file</p> : null}
          {f.hunks.map((h, j) => (
            <pre key={j} className="code">
              <div className="diff-hunk">
                @@ -{h.oldStart},{h.oldLines} +{h.newStart},{h.newLines} @@ {h.section}
              </div>
              {h.body
                .replace(/\n$/, '')
                .split('\n')
                .map((line, k) => (
                  <div key={k} className={line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : undefined}>
                    {line || '\u00a0'}
                  </div>
                ))}
            </pre>
          ))}
        </section>
      ))}
    </>
  )
}

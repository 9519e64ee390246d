// /campaigns/new: the start of a campaign, a plan of per-repository diffs, made from a
// patch (pasted or uploaded, applied to each chosen repository's default branch) or from
// a steps spec run by the worker. Either leads to the plan preview.
import { useApolloClient, useMutation } from '@apollo/client/react'
import { CombinedGraphQLErrors } from '@apollo/client/errors'
import { useState, type FormEvent } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Page } from '../components/Page'
import { parseRepositories } from '../components/repositoryNames'
import { RepositoryNamesField } from '../components/RepositoryNamesField'
import { CREATE_PLAN_FROM_PATCHES, CREATE_PLAN_FROM_SPEC, REPOSITORY_BASE } from './backend'
import { SpecEditor } from './SpecEditor'
import { specProblems, type SpecProblem } from './specErrors'
import './campaigns.css'

const exampleSpec = `name: use-bar
description: Replace foo with bar
on:
  - repositoriesMatchingQuery: foo
steps:
  - run: sed -i 's/foo/bar/g' README.md
    container: alpine:3
changesetTemplate:
  title: Use bar instead of foo
  body: Found by a Lookout campaign.
  branch: campaigns/use-bar
  commit:
    message: Use bar instead of foo
`

export function NewCampaignPage() {
  const [params] = useSearchParams()
  const fromSpec = params.get('from') === 'spec'
  return (
    <Page title="Create a campaign">
      <p className="lead">First make a plan: the diff for each repository. You see every diff before anything is pushed.</p>
      <nav aria-label="How to make the plan">
        <ul className="tabs">
          <li>
            <Link to="?from=patch" className={!fromSpec ? 'active' : undefined} aria-current={!fromSpec ? 'page' : undefined}>
              From a patch
            </Link>
          </li>
          <li>
            <Link to="?from=spec" className={fromSpec ? 'active' : undefined} aria-current={fromSpec ? 'page' : undefined}>
              From a steps spec
            </Link>
          </li>
        </ul>
      </nav>
      {fromSpec ? <SpecForm /> : <PatchForm />}
    </Page>
  )
}

function PatchForm() {
  const client = useApolloClient()
  const navigate = useNavigate()
  const [repoText, setRepoText] = useState('')
  const [patch, setPatch] = useState('')
  const [problem, setProblem] = useState('')
  const [resolving, setResolving] = useState(false)
  const [create, creating] = useMutation(CREATE_PLAN_FROM_PATCHES)
  const repos = parseRepositories(repoText)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setProblem('')
    if (repos.length === 0) return setProblem('Name the repositories the patch applies to.')
    if (!patch.trim()) return setProblem('Paste or upload a patch (a unified diff, as git diff writes it).')
    if (!/^(diff --git |--- |@@ )/m.test(patch)) return setProblem('That does not look like a unified diff: it has no "diff --git", "---" or "@@" line.')
    setResolving(true)
    try {
      // Each repository's default branch head is what the patch applies to.
      const bases = await Promise.all(repos.map((name) => client.query({ query: REPOSITORY_BASE, variables: { name }, fetchPolicy: 'network-only' })))
      const missing = repos.filter((_, i) => !bases[i]?.data?.repository)
      if (missing.length) return setProblem(`No such repository (or not visible to you): ${missing.join(', ')}.`)
      const unborn = repos.filter((_, i) => !bases[i]?.data?.repository?.defaultBranch)
      if (unborn.length) return setProblem(`Not cloned yet or empty, so there is no default branch to apply the patch to: ${unborn.join(', ')}.`)
      const patches = bases.map((b) => {
        const r = b.data?.repository
        return { repository: r?.id ?? '', baseRevision: r?.defaultBranch?.target.oid ?? '', baseRef: r?.defaultBranch?.name ?? '', patch }
      })
      const res = await create({ variables: { patches } })
      const id = res.data?.createCampaignPlanFromPatches.id
      if (id) void navigate(`/campaigns/plans/${encodeURIComponent(id)}`)
    } catch {
      // shown from creating.error
    } finally {
      setResolving(false)
    }
  }
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="Plan from a patch">
      <RepositoryNamesField label="Repositories" text={repoText} onChange={setRepoText} />
      <label>
        Patch
        <textarea className="patch-input" value={patch} onChange={(e) => setPatch(e.target.value)} spellCheck={false} wrap="off" placeholder={'diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-foo\n+bar'} />
        <span className="hint">A unified diff (git diff). It is applied to each repository's default branch; where it does not apply, that repository's plan says so.</span>
      </label>
      <label>
        Or upload a patch file
        <input
          type="file"
          accept=".patch,.diff,text/x-diff,text/x-patch,text/plain"
          onChange={(e) => {
            const f = e.target.files?.[0]
            if (f) void f.text().then(setPatch)
          }}
        />
      </label>
      {problem ? (
        <p className="alert alert-error" role="alert">
          {problem}
        </p>
      ) : null}
      <ErrorAlert error={creating.error} />
      <PlanActions busy={resolving || creating.loading} label="Preview the changes" />
    </form>
  )
}

function SpecForm() {
  const navigate = useNavigate()
  const [spec, setSpec] = useState(exampleSpec)
  const [serverProblems, setServerProblems] = useState<SpecProblem[]>([])
  const [otherError, setOtherError] = useState<unknown>(null)
  const [create, creating] = useMutation(CREATE_PLAN_FROM_SPEC)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setServerProblems([])
    setOtherError(null)
    try {
      const res = await create({ variables: { spec } })
      const id = res.data?.createCampaignPlanFromSpec.id
      if (id) void navigate(`/campaigns/plans/${encodeURIComponent(id)}`)
    } catch (err) {
      const first = CombinedGraphQLErrors.is(err) ? err.errors[0] : undefined
      if (first?.extensions?.['code'] === 'BAD_USER_INPUT' && /spec/i.test(first.message)) {
        setServerProblems(specProblems(first.message, first.extensions as Record<string, unknown>))
      } else {
        setOtherError(err)
      }
    }
  }
  return (
    <form className="form wide" onSubmit={(e) => void submit(e)} aria-label="Plan from a spec">
      <SpecEditor
        value={spec}
        onChange={(v) => {
          setSpec(v)
          setServerProblems([])
        }}
        serverProblems={serverProblems}
      />
      <p className="hint">
        <code>on</code> selects repositories (search queries run with your permissions, or names); each of <code>steps</code> runs in a checkout of each repository, in its{' '}
        <code>container</code> image; <code>changesetTemplate</code> shapes the branch, commit and pull request.
      </p>
      <ErrorAlert error={otherError} />
      <PlanActions busy={creating.loading} label="Run the steps and preview" />
    </form>
  )
}

function PlanActions({ busy, label }: { busy: boolean; label: string }) {
  return (
    <div className="form-actions">
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Making the plan…' : label}
      </button>
      <Link className="btn" to="/campaigns">
        Cancel
      </Link>
    </div>
  )
}

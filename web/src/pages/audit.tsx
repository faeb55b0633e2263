// Audit: the chain's head, its verification, and a searchable, paginated list of records.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { useResource } from '../api'
import type { AuditPage } from '../types'
import { Badge, Loaded, Pager, Panel, Table, Time, brief, onSubmitDo } from '../ui'

interface VerifyAnswer {
  readonly ok: boolean
  readonly count: number
  readonly head?: { seq: number; hash: string } | null
  readonly firstBad?: { seq: number; reason: string; detail: string }
  readonly method: string
  readonly verifiedAt: string
  readonly elapsedMs: number
}

export function Audit(): JSX.Element {
  const [form, setForm] = useState({ type: '', q: '', limit: '50' })
  const [query, setQuery] = useState(form)
  const [befores, setBefores] = useState<number[]>([])
  const before = befores[befores.length - 1]
  const params = new URLSearchParams({ limit: query.limit })
  if (query.type.trim() !== '') params.set('type', query.type.trim())
  if (query.q.trim() !== '') params.set('q', query.q.trim())
  if (before !== undefined) params.set('before', String(before))
  const page = useResource<AuditPage>(`/risk/audit?${params.toString()}`)
  const verify = useResource<VerifyAnswer>('/audit/verify')

  return (
    <div class="page">
      <h1>Audit</h1>
      <Panel title="Chain" actions={<button type="button" class="btn" onClick={verify.reload}>Verify again</button>}>
        <Loaded res={verify}>
          {(v) => (
            <p data-testid="audit-verify">
              <Badge level={v.ok ? 'ok' : 'crit'}>{v.ok ? 'verified' : 'BROKEN'}</Badge> {v.count} records checked ({v.method}, {v.elapsedMs} ms) at <Time ms={v.verifiedAt} />
              {v.ok && v.head !== undefined && v.head !== null ? (
                <>
                  {' '}
                  · head #{v.head.seq} <code title={v.head.hash}>{v.head.hash.slice(0, 16)}…</code>
                </>
              ) : null}
              {v.firstBad !== undefined ? (
                <>
                  {' '}
                  · first bad record #{v.firstBad.seq}: {v.firstBad.reason} — {v.firstBad.detail}
                </>
              ) : null}
            </p>
          )}
        </Loaded>
      </Panel>
      <Panel title="Records">
        <form
          class="search"
          onSubmit={onSubmitDo(() => {
            setBefores([])
            setQuery({ ...form })
          })}
        >
          <label>
            Type <input name="type" placeholder="risk.denied, kill_switch.*" value={form.type} onInput={(e) => setForm({ ...form, type: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Contains <input name="q" placeholder="text in type, actor or payload" value={form.q} onInput={(e) => setForm({ ...form, q: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Per page{' '}
            <select value={form.limit} onChange={(e) => setForm({ ...form, limit: (e.target as HTMLSelectElement).value })}>
              {['25', '50', '100', '200'].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="btn primary">
            Search
          </button>
        </form>
        <Loaded res={page}>
          {(p) => (
            <>
              <p class="small muted">
                Head #{p.head ?? '—'} · showing {p.records.length} record(s){before !== undefined ? ` before #${before}` : ''}
                {p.scanned !== undefined ? ` · ${p.scanned} scanned` : ''}
              </p>
              <Table
                rows={[...p.records].reverse()}
                rowKey={(r) => String(r.seq)}
                empty="No records match."
                caption="Audit records, newest first"
                columns={[
                  { key: 'seq', label: 'Seq', num: true, render: (r) => <span class="num">{r.seq}</span> },
                  { key: 'time', label: 'Time', render: (r) => <Time ms={r.ts} /> },
                  { key: 'type', label: 'Type', render: (r) => <code>{r.type}</code> },
                  { key: 'actor', label: 'Actor', render: (r) => r.actor },
                  { key: 'payload', wrap: true, label: 'Payload', render: (r) => <span class="small mono">{brief(r.payload)}</span> },
                  { key: 'hash', label: 'Hash', render: (r) => <code title={r.hash}>{r.hash.slice(0, 10)}</code> },
                ]}
              />
              <Pager
                onNewer={befores.length === 0 ? undefined : () => setBefores(befores.slice(0, -1))}
                onOlder={p.nextBefore === null || p.nextBefore === undefined ? undefined : () => p.nextBefore != null && setBefores([...befores, p.nextBefore])}
              />
            </>
          )}
        </Loaded>
      </Panel>
    </div>
  )
}

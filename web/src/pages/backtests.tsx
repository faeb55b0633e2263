// Backtests: run a built-in strategy over the synthetic market or a data file of the server's data directory
// (operators), follow the runs, and read a run's report: P&L, fills, Sharpe, drawdown, what was not traded and why.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, useResource } from '../api'
import { pushToast, reportError } from '../toasts'
import { Badge, Loaded, Num, Panel, Table, Time, onSubmitDo } from '../ui'
// The server's own types of these answers (type-only files with no runtime imports).
import type { BacktestList, BacktestRun } from '../../../src/api/backtest-types'

const STATUS_BADGE = { running: 'info', done: 'ok', failed: 'crit' } as const
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(2)}%`)
const ratio = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2))

function RunForm({ list, started }: { list: BacktestList; started: (id: string) => void }): JSX.Element {
  const [strategy, setStrategy] = useState(list.strategies[0]?.name ?? '')
  const [data, setData] = useState(list.data[0] ?? 'synthetic')
  const [params, setParams] = useState('')
  const [busy, setBusy] = useState(false)
  const known = list.strategies.find((s) => s.name === strategy)?.params ?? []
  const submit = async (): Promise<void> => {
    const pairs = params
      .split(/[\s,]+/)
      .filter((p) => p !== '')
      .map((p) => p.split('='))
    const bad = pairs.find((p) => p.length !== 2 || p[0] === '')
    if (bad !== undefined) {
      pushToast('error', 'Parameters', `write key=value pairs, got '${bad.join('=')}'`)
      return
    }
    setBusy(true)
    try {
      const r = await api<{ id: string }>('/backtests', { method: 'POST', body: { strategy, data, params: Object.fromEntries(pairs) } })
      pushToast('info', 'Backtest started', `${strategy} on ${data}`)
      started(r.id)
    } catch (error) {
      reportError(error)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="toolbar" data-testid="backtest-form" onSubmit={onSubmitDo(submit)}>
      <label>
        Strategy{' '}
        <select name="strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value)}>
          {list.strategies.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Data{' '}
        <select name="data" value={data} onChange={(e) => setData(e.currentTarget.value)}>
          {list.data.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label>
        Parameters <input name="params" value={params} placeholder={known.length > 0 ? `e.g. ${known[0]}=…` : 'key=value'} onInput={(e) => setParams(e.currentTarget.value)} />
      </label>
      <button type="submit" class="btn primary" disabled={busy || list.running !== null} data-testid="run-backtest">
        {list.running !== null ? 'A backtest is running…' : 'Run backtest'}
      </button>
    </form>
  )
}

function RunReport({ id }: { id: string }): JSX.Element {
  const res = useResource<BacktestRun>(`/backtests/${id}`, 2_000)
  return (
    <Loaded res={res}>
      {(run) => {
        const r = run.report
        if (run.status === 'failed') return <p data-testid="backtest-error">Failed: {run.error}</p>
        if (r === undefined) return <p>Running since <Time ms={run.startedAt} />…</p>
        const notTraded = [...Object.entries(r.notTraded.rejected).map(([k, n]) => [`rejected: ${k}`, n] as const), ...Object.entries(r.notTraded.denied).map(([k, n]) => [`denied: ${k}`, n] as const)]
        return (
          <div data-testid="backtest-report">
            <dl class="facts">
              <dt>Net P&amp;L</dt>
              <dd>
                <Num value={r.netPnl} unit={r.currency} signed testId="backtest-net" />
              </dd>
              <dt>Realized / unrealized</dt>
              <dd>
                <Num value={r.realizedPnl} signed /> / <Num value={r.unrealizedPnl} signed />
              </dd>
              <dt>Fees</dt>
              <dd>
                <Num value={r.fees} unit={r.currency} />
              </dd>
              <dt>Equity</dt>
              <dd>
                <Num value={r.initialEquity} /> → <Num value={r.finalEquity} unit={r.currency} />
              </dd>
              <dt>Fills · win rate</dt>
              <dd>
                <span data-testid="backtest-fills">{r.fills}</span> · {pct(r.winRate)}
              </dd>
              <dt>Sharpe · Sortino</dt>
              <dd>
                {ratio(r.sharpe)} · {ratio(r.sortino)}
              </dd>
              <dt>Max drawdown</dt>
              <dd>
                <Num value={r.maxDrawdown} unit={r.currency} /> ({pct(r.maxDrawdownPct)})
              </dd>
              <dt>Events</dt>
              <dd>
                {r.events} from {r.from ?? '—'} to {r.to ?? '—'}
              </dd>
            </dl>
            <Table
              rows={notTraded}
              rowKey={([k]) => k}
              empty="Every order was accepted."
              caption="Orders not traded, by reason"
              columns={[
                { key: 'why', label: 'Reason', wrap: true, render: ([k]) => k },
                { key: 'n', label: 'Orders', num: true, render: ([, n]) => n },
              ]}
            />
          </div>
        )
      }}
    </Loaded>
  )
}

export function Backtests({ canOperate }: { canOperate: boolean }): JSX.Element {
  const res = useResource<BacktestList>('/backtests', 2_000)
  const [selected, setSelected] = useState<string | undefined>(undefined)
  return (
    <div class="page">
      <h1>Backtests</h1>
      <Loaded res={res}>
        {(list) => (
          <>
            {canOperate ? (
              <Panel title="Run a backtest">
                <RunForm
                  list={list}
                  started={(id) => {
                    setSelected(id)
                    res.reload()
                  }}
                />
                <p class="small muted">Data files are those in the server's data directory, under data/.</p>
              </Panel>
            ) : null}
            <Panel title="Runs">
              <Table
                rows={list.runs}
                rowKey={(r) => r.id}
                empty="No backtest has been run from here yet."
                caption="Backtest runs, newest first"
                columns={[
                  { key: 'at', label: 'Started', render: (r) => <Time ms={r.startedAt} /> },
                  { key: 'strategy', label: 'Strategy', render: (r) => r.strategy },
                  { key: 'data', label: 'Data', wrap: true, render: (r) => r.data },
                  { key: 'params', label: 'Parameters', wrap: true, render: (r) => Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ') || '—' },
                  { key: 'status', label: 'Status', render: (r) => <Badge level={STATUS_BADGE[r.status]}>{r.status}</Badge> },
                  { key: 'net', label: 'Net P&L', num: true, render: (r) => <Num value={r.summary?.netPnl} signed /> },
                  { key: 'fills', label: 'Fills', num: true, render: (r) => r.summary?.fills ?? '—' },
                  {
                    key: 'open',
                    label: 'Report',
                    render: (r) => (
                      <button type="button" class="btn small" data-testid="open-backtest" aria-pressed={selected === r.id} onClick={() => setSelected(r.id)}>
                        {selected === r.id ? 'Shown' : 'Show'}
                      </button>
                    ),
                  },
                ]}
              />
            </Panel>
            {selected !== undefined ? (
              <Panel title="Report">
                <RunReport id={selected} />
              </Panel>
            ) : null}
          </>
        )}
      </Loaded>
    </div>
  )
}

// Backtests: run a built-in strategy, a strategy file or a registered version over the synthetic market or a data
// file of the server's data directory (operators), follow the runs, and read a run's report: P&L, fills, Sharpe, drawdown, what was not traded and why,
// its equity curve and its fills.
import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { api, useResource } from '../api'
import { LineChart } from '../chart'
import { PriceChart } from '../price-chart'
import { pushToast, reportError } from '../toasts'
import { Badge, Loaded, Num, Panel, Table, Time, onSubmitDo } from '../ui'
// The server's own types of these answers (type-only files with no runtime imports).
import type { BacktestList, BacktestRun, BacktestSeries, SeriesFill } from '../../../src/api/backtest-types'

const STATUS_BADGE = { running: 'info', done: 'ok', failed: 'crit' } as const
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(2)}%`)
const ratio = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2))

function RunForm({ list, started }: { list: BacktestList; started: (id: string) => void }): JSX.Element {
  const [strategy, setStrategy] = useState(list.strategies[0]?.name ?? '')
  const [data, setData] = useState(list.data[0] ?? 'synthetic')
  const [params, setParams] = useState('')
  const [version, setVersion] = useState('')
  const [busy, setBusy] = useState(false)
  const known = list.strategies.find((s) => s.name === strategy)?.params ?? []
  const versions = list.versions.filter((v) => v.strategy === strategy)
  const picked = versions.find((v) => v.version === version)
  const submit = async (): Promise<void> => {
    if (picked !== undefined) {
      await start({ strategy, data, version: picked.version }, `${strategy} ${picked.version} on ${data}`)
      return
    }
    const pairs = params
      .split(/[\s,]+/)
      .filter((p) => p !== '')
      .map((p) => p.split('='))
    const bad = pairs.find((p) => p.length !== 2 || p[0] === '')
    if (bad !== undefined) {
      pushToast('error', 'Parameters', `write key=value pairs, got '${bad.join('=')}'`)
      return
    }
    await start({ strategy, data, params: Object.fromEntries(pairs) }, `${strategy} on ${data}`)
  }
  const start = async (body: Record<string, unknown>, what: string): Promise<void> => {
    setBusy(true)
    try {
      const r = await api<{ id: string }>('/backtests', { method: 'POST', body })
      pushToast('info', 'Backtest started', what)
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
        <select
          name="strategy"
          value={strategy}
          onChange={(e) => {
            setStrategy(e.currentTarget.value)
            setVersion('')
          }}
        >
          {list.strategies.map((s) => (
            <option key={s.name} value={s.name}>
              {s.file === true ? `${s.name} (file)` : s.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Version{' '}
        <select name="version" value={version} disabled={versions.length === 0} onChange={(e) => setVersion(e.currentTarget.value)}>
          <option value="">as it is now</option>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              {v.version} ({v.status})
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
        Parameters{' '}
        <input
          name="params"
          value={picked !== undefined ? Object.entries(picked.params).map(([k, v]) => `${k}=${v}`).join(' ') : params}
          disabled={picked !== undefined}
          title={picked !== undefined ? 'a registered version runs with its own parameters' : undefined}
          placeholder={known.length > 0 ? `e.g. ${known[0]}=…` : 'key=value'}
          onInput={(e) => setParams(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="btn primary" disabled={busy || list.running !== null} data-testid="run-backtest">
        {list.running !== null ? 'A backtest is running…' : 'Run backtest'}
      </button>
    </form>
  )
}

/** A run's data as candles, its fills marked on them; a picker when it traded several markets. */
function RunPrices({ series, theme }: { series: BacktestSeries; theme: string }): JSX.Element | null {
  const [which, setWhich] = useState(0)
  const m = series.markets[which] ?? series.markets[0]
  const marks = useMemo(() => (m === undefined ? [] : series.fills.filter((f) => f.venue === m.venue && f.symbol === m.symbol).map((f) => ({ timestamp: f.t, side: f.side }))), [series, m])
  if (m === undefined) return null
  const name = `${m.venue}:${m.symbol}`
  return (
    <div data-testid="backtest-prices" data-candles={m.candles.length} data-fills={marks.length}>
      <h3>
        Price{' '}
        {series.markets.length > 1 ? (
          <select aria-label="Market" value={which} onChange={(e) => setWhich(Number(e.currentTarget.value))}>
            {series.markets.map((x, i) => (
              <option key={`${x.venue}:${x.symbol}`} value={i}>
                {x.venue}:{x.symbol}
              </option>
            ))}
          </select>
        ) : (
          name
        )}{' '}
        <span class="small muted">
          {m.candles.length} {m.timeframe} candles of its {m.source} · {marks.length} fills (times UTC)
        </span>
      </h3>
      <PriceChart theme={theme} height={320} candles={m.candles} timeframe={m.timeframe} marks={marks} fitKey={`${name}:${m.timeframe}`} label={`price chart of ${name}, ${m.timeframe} candles, with the run's fills`} />
    </div>
  )
}

/** How many of a run's fills the table shows (the newest). */
const FILLS_SHOWN = 200

function RunReport({ id, theme }: { id: string; theme: string }): JSX.Element {
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
            {run.series !== undefined ? (
              <>
                {run.series.markets !== undefined ? <RunPrices series={run.series} theme={theme} /> : null}
                <h3>Equity ({run.series.currency})</h3>
                <div data-testid="backtest-equity">
                  <LineChart
                    theme={theme}
                    height={200}
                    label={`equity (${run.series.currency})`}
                    points={run.series.equity.map((p) => [p.t / 1000, Number(p.equity)] as const)}
                    empty="The run sampled its equity fewer than two times."
                  />
                </div>
                <Table
                  rows={run.series.fills.slice(-FILLS_SHOWN).reverse()}
                  rowKey={(f: SeriesFill, i: number) => `${f.t}-${i}`}
                  empty="The run made no fill."
                  caption={`Fills, newest first (${Math.min(FILLS_SHOWN, run.series.fills.length)} of ${r.fills}${run.series.fillsLeftOut > 0 ? `; the first ${run.series.fills.length} kept` : ''})`}
                  columns={[
                    { key: 't', label: 'Time', render: (f) => <Time ms={f.t} /> },
                    { key: 'strategy', label: 'Strategy', render: (f) => f.strategyId },
                    { key: 'market', label: 'Market', render: (f) => `${f.venue}:${f.symbol}` },
                    { key: 'side', label: 'Side', render: (f) => f.side },
                    { key: 'price', label: 'Price', num: true, render: (f) => <Num value={f.price} /> },
                    { key: 'amount', label: 'Amount', num: true, render: (f) => <Num value={f.amount} /> },
                  ]}
                />
              </>
            ) : null}
          </div>
        )
      }}
    </Loaded>
  )
}

export function Backtests({ canOperate, theme }: { canOperate: boolean; theme: string }): JSX.Element {
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
                <p class="small muted">
                  Data files are those in the server's data directory, under data/; strategy files those in its strategies directory. A registered version runs with its parameters and its
                  code as registered.
                </p>
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
                  { key: 'strategy', label: 'Strategy', render: (r) => (r.version !== undefined ? `${r.strategy} ${r.version}` : r.strategy) },
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
                <RunReport id={selected} theme={theme} />
              </Panel>
            ) : null}
          </>
        )}
      </Loaded>
    </div>
  )
}

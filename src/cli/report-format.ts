/**
 * @module cli/report-format
 * How a run's report is shown: an aligned text summary for people, one JSON object for machines.
 */
import type { BacktestResult } from '../system/index.js'

type ReportResult = Pick<BacktestResult, 'report' | 'performance' | 'dataStats'>

export function reportJson(result: ReportResult): Record<string, unknown> {
  const badRows = result.dataStats.reduce((n, d) => n + d.stats.badRows, 0)
  return {
    ...result.report,
    eventsPerSecond: result.performance.eventsPerSecond,
    elapsedMs: result.performance.elapsedMs,
    peakRssMb: result.performance.peakRssMb,
    badRows,
    badRowMessages: result.dataStats.flatMap((d) => d.stats.badRowMessages),
  }
}

export function formatReport(result: ReportResult): string {
  const r = result.report
  const p = result.performance
  const c = r.currency
  const rows: [string, string][] = [
    ['strategies', r.strategies.map((s) => s.id).join(', ')],
    ['data', r.data.join(', ')],
    ['period (UTC)', `${r.from ?? '-'} → ${r.to ?? '-'}`],
    ['net P&L', `${r.netPnl} ${c}`],
    ['  realized', `${r.realizedPnl} ${c}`],
    ['  unrealized', `${r.unrealizedPnl} ${c}`],
    ['fees', `${r.fees} ${c}`],
    ['equity', `${r.initialEquity} → ${r.finalEquity} ${c}`],
    ['orders', `${r.orders.submitted} sent, ${r.orders.filled} filled, ${r.orders.canceled} canceled, ${r.orders.rejected} rejected, ${r.orders.denied} denied by risk`],
    ['fills', String(r.fills)],
    ['win rate', `${(r.winRate * 100).toFixed(2)}% of ${r.closingFills} closing fills`],
    ['Sharpe', r.sharpe === null ? 'n/a (too few equity samples)' : r.sharpe.toFixed(3)],
    ['Sortino', r.sortino === null ? 'n/a (too few equity samples)' : r.sortino.toFixed(3)],
    ['max drawdown', `${r.maxDrawdown} ${c} (${r.maxDrawdownPct.toFixed(2)}%)`],
    ['exposure', `${(r.exposure * 100).toFixed(2)}% of the time`],
    ['events', `${r.events} at ${p.eventsPerSecond.toLocaleString('en-US')}/s (${p.elapsedMs} ms, peak RSS ${p.peakRssMb} MB)`],
  ]
  rows.push(['monitors', r.monitors.length > 0 ? r.monitors.join(', ') : 'none (a backtest runs them only when risk.monitors is configured)'])
  const badRows = result.dataStats.reduce((n, d) => n + d.stats.badRows, 0)
  if (badRows > 0) rows.push(['bad rows skipped', String(badRows)])
  const width = Math.max(...rows.map(([k]) => k.length))
  let out = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n'
  for (const [reason, n] of Object.entries(r.notTraded.rejected)) out += `  rejected ${n}×: ${reason}\n`
  for (const [code, n] of Object.entries(r.notTraded.denied)) out += `  denied ${n}×: ${code}\n`
  if (r.stateChanges.length > 0) {
    out += 'trading state\n'
    for (const e of r.stateChanges) out += `  ${e.at}  ${e.what}: ${e.cause}\n`
  }
  for (const d of result.dataStats) for (const m of d.stats.badRowMessages) out += `  skipped: ${m}\n`
  return out
}

/**
 * @module ops/replay/report
 * The `sofia replay` report: per adverse trade, the decision, expected and realized price, slippage, latency,
 * the risk verdicts of the time and whether today's code decides the same.
 */
import type { Decimal } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import { loadTrails, selectAdverseTrades } from './adverse.js'
import type { AdverseOptions, SessionRecord } from './adverse.js'
import { replayDecision } from './decision.js'
import type { DecisionReplay } from './decision.js'

export interface ReplayReportOptions extends AdverseOptions {
  readonly marketDir: string
  readonly windowMs: number
  readonly toleranceMs: number
}

export interface ReplayedTrade {
  readonly tradeId: string
  readonly venue: string
  readonly symbol: string
  readonly strategyId: string
  readonly clientOrderId: string
  readonly timestamp: number
  readonly why: 'loss' | 'slippage'
  readonly closing: boolean
  readonly decision: { readonly side: string; readonly type: string; readonly amount: string; readonly price: string | null; readonly at: number | null }
  readonly expectedPrice: string | null
  readonly realizedPrice: string
  readonly amount: string
  readonly slippageBps: string | null
  readonly realizedPnl: string
  readonly netPnl: string
  readonly latencyMs: { readonly toAccept: number | null; readonly toFirstFill: number | null }
  readonly risk: readonly { readonly type: string; readonly code?: string; readonly reason?: string }[]
  readonly sameDecision: boolean
  readonly reason: string
  readonly replayed: DecisionReplay['replayed'] | null
  readonly window: DecisionReplay['window'] | null
}

export interface ReplayReport {
  readonly threshold: string
  readonly marketDir: string
  readonly trades: readonly ReplayedTrade[]
  readonly same: number
  readonly different: number
}

function sessionAt(sessions: readonly SessionRecord[], ts: number): SessionRecord | undefined {
  let found: SessionRecord | undefined
  for (const s of sessions) if (s.ts <= ts) found = s
  return found
}

const text = (d: Decimal | undefined, places?: number): string | null => (d === undefined ? null : places === undefined ? d.toString() : d.toFixed(places))

export async function replayAdverseTrades(store: Store, options: ReplayReportOptions): Promise<ReplayReport> {
  const adverse = await selectAdverseTrades(store, options)
  const { trails, sessions } = await loadTrails(store, new Set(adverse.map((a) => a.fill.clientOrderId)))
  const cache = new Map<string, DecisionReplay>()
  const trades: ReplayedTrade[] = []
  for (const a of adverse) {
    const f = a.fill
    const trail = trails.get(f.clientOrderId) ?? { clientOrderId: f.clientOrderId, risk: [] }
    let replay = cache.get(f.clientOrderId)
    if (replay === undefined) {
      replay = await replayDecision({
        store,
        marketDir: options.marketDir,
        trail,
        session: trail.intent === undefined ? undefined : sessionAt(sessions, trail.intent.ts),
        windowMs: options.windowMs,
        toleranceMs: options.toleranceMs,
      })
      cache.set(f.clientOrderId, replay)
    }
    const intent = trail.intent
    const p = intent?.payload ?? {}
    trades.push({
      tradeId: f.tradeId,
      venue: f.venue,
      symbol: f.symbol,
      strategyId: f.strategyId,
      clientOrderId: f.clientOrderId,
      timestamp: f.timestamp,
      why: a.why,
      closing: a.closing,
      decision: {
        side: typeof p.side === 'string' ? p.side : f.side,
        type: typeof p.type === 'string' ? p.type : 'unknown',
        amount: typeof p.amount === 'string' ? p.amount : f.amount,
        price: typeof p.price === 'string' ? p.price : null,
        at: intent?.ts ?? null,
      },
      expectedPrice: text(a.decisionPrice),
      realizedPrice: f.price,
      amount: f.amount,
      slippageBps: text(a.slippageBps, 2),
      realizedPnl: a.realizedPnl.toString(),
      netPnl: a.netPnl.toString(),
      latencyMs: {
        toAccept: intent !== undefined && trail.acceptedTs !== undefined ? trail.acceptedTs - intent.ts : null,
        toFirstFill: intent !== undefined && trail.firstFillTs !== undefined ? trail.firstFillTs - intent.ts : null,
      },
      risk: trail.risk.map((r) => ({ type: r.type, ...(r.code !== undefined ? { code: r.code } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}) })),
      sameDecision: replay.sameDecision,
      reason: replay.reason,
      replayed: replay.replayed ?? null,
      window: replay.window ?? null,
    })
  }
  const same = trades.filter((t) => t.sameDecision).length
  return { threshold: (options.threshold ?? 0).toString(), marketDir: options.marketDir, trades, same, different: trades.length - same }
}

export function formatReplayReport(r: ReplayReport): string {
  if (r.trades.length === 0) return `no adverse trades (closing fills with net P&L below ${r.threshold}, opening fills with adverse slippage)\n`
  const lines = [`${r.trades.length} adverse trade${r.trades.length === 1 ? '' : 's'}, newest first: ${r.same} decided the same today, ${r.different} not`]
  for (const t of r.trades) {
    const d = t.decision
    lines.push(
      '',
      `${new Date(t.timestamp).toISOString()} ${t.strategyId} ${t.venue} ${t.symbol} fill ${t.tradeId} (${t.why === 'loss' ? `net P&L ${t.netPnl}` : 'adverse slippage'})`,
      `  decision   ${d.side} ${d.type} ${d.amount}${d.price !== null ? ` @ ${d.price}` : ''}${d.at !== null ? ` at ${new Date(d.at).toISOString()}` : ''}`,
      `  price      expected ${t.expectedPrice ?? '-'}, realized ${t.realizedPrice}, slippage ${t.slippageBps ?? '-'} bps`,
      `  latency    accept ${t.latencyMs.toAccept ?? '-'} ms, first fill ${t.latencyMs.toFirstFill ?? '-'} ms`,
      `  risk       ${t.risk.length === 0 ? '-' : t.risk.map((v) => `${v.type}${v.code !== undefined ? ` ${v.code}` : ''}${v.reason !== undefined ? ` (${v.reason})` : ''}`).join(', ')}`,
      `  today      ${t.sameDecision ? 'same decision' : 'DIFFERENT'}: ${t.reason}`,
    )
  }
  return `${lines.join('\n')}\n`
}

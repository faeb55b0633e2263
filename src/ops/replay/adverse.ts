/**
 * @module ops/replay/adverse
 * Which trades were bad, and what the audit chain says about each: the selection behind `sofia replay`.
 *
 * A fill is adverse when it closed (part of) a position with a realized P&L net of its fee below the
 * threshold, or when it opened one at a price worse than the decision price (slippage > 0 bps). The P&L is
 * the ledger replay's (`replayPnl`, average cost), so it agrees with `sofia pnl` to the digit.
 */
import { isRecordOf, payloadOf } from '../../audit/index.js'
import type { AuditPayload } from '../../audit/index.js'
import { Decimal } from '../../model/index.js'
import type { Store, StoredFill } from '../../store/index.js'
import { fillSlippageBps, replayPnl } from '../pnl/index.js'

export interface AdverseTrade {
  readonly fill: StoredFill
  readonly closing: boolean
  /** Realized P&L of the fill (closing fills; zero otherwise), gross and net of its fee. */
  readonly realizedPnl: Decimal
  readonly netPnl: Decimal
  readonly decisionPrice: Decimal | undefined
  /** Against the decision price, > 0 worse. */
  readonly slippageBps: Decimal | undefined
  /** `loss` (a closing fill below the threshold) or `slippage` (an opening fill filled worse than decided). */
  readonly why: 'loss' | 'slippage'
}

export interface AdverseOptions {
  /** Closing fills with net P&L below this are adverse (default 0). */
  readonly threshold?: Decimal
  /** Fill timestamp window [from, to). */
  readonly from?: number | undefined
  readonly to?: number | undefined
  /** At most this many, newest first. */
  readonly lastN?: number | undefined
}

/** The adverse fills of the window, newest first (ties: later recorded first). */
export async function selectAdverseTrades(store: Store, options: AdverseOptions = {}): Promise<AdverseTrade[]> {
  const threshold = options.threshold ?? new Decimal(0)
  const replay = await replayPnl(store, { from: options.from, to: options.to, keepFills: true })
  const out: AdverseTrade[] = []
  for (const f of replay.fills) {
    const netPnl = f.realizedPnl.sub(f.fee ?? 0)
    const slippageBps = fillSlippageBps(f.fill.side, f.price, f.decisionPrice)
    const base = { fill: f.fill, closing: f.closing, realizedPnl: f.realizedPnl, netPnl, decisionPrice: f.decisionPrice, slippageBps }
    if (f.closing) {
      if (netPnl.lt(threshold)) out.push({ ...base, why: 'loss' })
    } else if (slippageBps !== undefined && slippageBps.gt(0)) {
      out.push({ ...base, why: 'slippage' })
    }
  }
  out.reverse() // the replay is in (timestamp, insertion) order
  return options.lastN === undefined ? out : out.slice(0, options.lastN)
}

/** What the audit chain recorded about one order. */
export interface OrderTrail {
  readonly clientOrderId: string
  /** The `order.intent` record: engine time of the decision, the strategy, the order as decided (an older record may lack members). */
  intent?: { readonly ts: number; readonly strategyId: string; readonly payload: Partial<AuditPayload<'order.intent'>> }
  /** `risk.approved` / `risk.denied` verdicts, in order. */
  readonly risk: { ts: number; type: string; code?: string; reason?: string }[]
  acceptedTs?: number
  firstFillTs?: number
}

/** A `session.started` record (an older record may lack members). */
export interface SessionRecord {
  readonly ts: number
  readonly payload: Partial<AuditPayload<'session.started'>>
}

/** Reads the audit chain once for the trails of `clientOrderIds` and every session start. */
export async function loadTrails(store: Store, clientOrderIds: ReadonlySet<string>): Promise<{ trails: Map<string, OrderTrail>; sessions: SessionRecord[] }> {
  const trails = new Map<string, OrderTrail>()
  const sessions: SessionRecord[] = []
  const trail = (id: string): OrderTrail => {
    let t = trails.get(id)
    if (t === undefined) trails.set(id, (t = { clientOrderId: id, risk: [] }))
    return t
  }
  for await (const batch of store.iterateAudit()) {
    for (const r of batch) {
      const session = payloadOf(r, 'session.started')
      if (session !== undefined) {
        sessions.push({ ts: r.ts, payload: session })
        continue
      }
      // Any record naming one of the orders (risk.* of older chains too) is read for its trail.
      const payload = (r.payload ?? {}) as Record<string, unknown>
      const id = payload['clientOrderId']
      if (typeof id !== 'string' || !clientOrderIds.has(id)) continue
      const t = trail(id)
      const intent = payloadOf(r, 'order.intent')
      if (intent !== undefined) {
        t.intent ??= { ts: r.ts, strategyId: r.actor.startsWith('strategy:') ? r.actor.slice('strategy:'.length) : r.actor, payload: intent }
      } else if (r.type.startsWith('risk.')) {
        t.risk.push({
          ts: r.ts,
          type: r.type,
          ...(typeof payload['code'] === 'string' ? { code: payload['code'] } : {}),
          ...(typeof payload['reason'] === 'string' ? { reason: payload['reason'] } : {}),
        })
      } else if (isRecordOf(r, 'order.accepted')) {
        t.acceptedTs ??= r.ts
      } else if (isRecordOf(r, 'fill')) {
        t.firstFillTs ??= r.ts
      }
    }
  }
  return { trails, sessions }
}

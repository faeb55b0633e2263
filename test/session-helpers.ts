/**
 * @module test/session-helpers
 * What the tests that run a session on the local exchange share: the session's setup (the binance client
 * on `sofia exchange-sim`, venue `xsim`) and the frame of their timer-driven strategies.
 */
import type { Store } from '../src/store/index.js'
import type { Strategy, StrategyContext } from '../src/strategy/index.js'
import { buildSession } from '../src/system/index.js'
import type { ExchangeConfig, Session } from '../src/system/index.js'
import type { Sim } from './sim.js'

/** What a test chooses of its session on the local exchange; `keys` sign the client (none: market data only). */
export interface SimSessionOptions extends Omit<ExchangeConfig, 'kind' | 'exchange' | 'venueId'> {
  readonly keys?: { readonly apiKey: string; readonly secret: string }
}

/** Builds an exchange session on `sim` through the binance client, recorded as venue `xsim`. */
export function buildSimSession(sim: Sim, { keys, ...rest }: SimSessionOptions): Promise<Session> {
  return buildSession({ kind: 'exchange', exchange: { exchangeId: 'binance', ...keys, url: sim.url }, venueId: 'xsim', ...rest })
}

/** An audit record as the tests read it: the payload as an object (parsed where a store hands it back as text). */
export interface AuditEntry {
  readonly type: string
  readonly actor: string
  readonly ts: number
  readonly payload: Record<string, unknown>
}

/** Every audit record of `store`, oldest first. */
export async function readAudit(store: Store): Promise<AuditEntry[]> {
  const out: AuditEntry[] = []
  for await (const batch of store.iterateAudit()) {
    for (const r of batch) out.push({ type: r.type, actor: r.actor, ts: r.ts, payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown> })
  }
  return out
}

/** A strategy that runs `onTick` on its timer `timer`, set every `everyMs` when the session starts. */
export function timerStrategy(id: string, timer: string, everyMs: number, onTick: (ctx: StrategyContext) => void): Strategy {
  return {
    id,
    onStart: (ctx) => ctx.setTimer(timer, everyMs),
    onTimer: (_name, ctx) => onTick(ctx),
  }
}

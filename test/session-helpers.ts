/**
 * @module test/session-helpers
 * What the tests that run a session on the local exchange share: the session's setup (the binance client
 * on `sofia exchange-sim`, venue `xsim`) and the frame of their timer-driven strategies.
 */
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

/** A strategy that runs `onTick` on its timer `timer`, set every `everyMs` when the session starts. */
export function timerStrategy(id: string, timer: string, everyMs: number, onTick: (ctx: StrategyContext) => void): Strategy {
  return {
    id,
    onStart: (ctx) => ctx.setTimer(timer, everyMs),
    onTimer: (_name, ctx) => onTick(ctx),
  }
}

/**
 * @module system/session-config
 * What a session is made of, as its composition root (`Trader`) takes it: clock, venues with their
 * instruments and balances, strategies with the parameters the user gave, the store, risk settings and the
 * session's own command handler. Backtest, paper, run and serve fill it in; nothing else assembles a session.
 */
import type { Clock } from '../engine/index.js'
import type { DecimalLike, Instrument } from '../model/index.js'
import type { PreTradeRisk } from '../risk/index.js'
import type { Store } from '../store/index.js'
import type { Strategy, StrategyDefinition } from '../strategy/index.js'
import type { Venue } from '../venues/index.js'
import type { AccountLeg } from './account-periods.js'
import type { RiskSettings } from './risk-setup.js'
import type { SessionCommands } from './command-results.js'

/** A strategy to run: a registered name (or file) and its parameters. */
export interface StrategySpec {
  readonly name: string
  readonly params: Readonly<Record<string, string>>
  /**
   * A registered version's code (`StrategyRegistry.definitionOf`), run instead of the strategy as it is now
   * (a user's file may have been edited or removed since the version was registered).
   */
  readonly definition?: StrategyDefinition
  /** The registered version this spec runs, shown in the report. */
  readonly version?: string
}

export interface VenueSetup {
  readonly id: string
  readonly instruments: readonly Instrument[]
  readonly balances: Readonly<Record<string, DecimalLike>>
  /**
   * A ready-made venue (the CCXT adapter, a mode router) used instead of a simulated exchange. Its owner
   * opens and closes it; market events reach it when it has an `onMarket` method.
   */
  readonly venue?: Venue
}

/** Runs the operator commands a session adds to the safety layer's (mode changes, resync). */
/** The commands a session on an exchange carries out itself (its modes and resync). */
export type ControlHandler = SessionCommands

export interface TraderOptions {
  readonly clock: Clock
  readonly venues: readonly VenueSetup[]
  readonly strategies: readonly Strategy[]
  /** Currency equity and P&L are reported in. */
  readonly reportingCurrency: string
  /** How often (engine time) the equity curve is sampled. */
  readonly equitySampleMs: number
  readonly latencyMs?: number
  readonly slippageBps?: number
  readonly risk?: PreTradeRisk
  /** Where the session is recorded; without it nothing is stored. */
  readonly store?: Store
  /** `backtest`, `paper`, …: recorded in the audit chain. */
  readonly mode?: string
  /** Wall-clock flush interval of the store (paper, live); backtests flush at barriers and at the end. */
  readonly flushIntervalMs?: number
  /** Limits, kill switch mode, monitor thresholds, breakers (default: DEFAULT_RISK). */
  readonly riskSettings?: RiskSettings
  /** Size multipliers from `config/position_override.json` (with the stored ones, the tighter wins per scope). */
  readonly positionOverride?: { readonly account?: string; readonly strategies?: Readonly<Record<string, string>> }
  /** The KILL_SWITCH file to watch (wall-clock sessions; default none). */
  readonly killFile?: string
  /** Where safety alerts go besides the audit chain (default: nowhere). */
  readonly onAlert?: (line: string) => void
  readonly onSignal?: (strategyId: string, name: string, detail: Record<string, unknown>) => void
  readonly onLog?: (strategyId: string, message: string) => void
  /** Handles `mode.set`, `shadow.rollback` and `resync` (sessions on an exchange); others refuse them. */
  readonly controlHandler?: ControlHandler
  /**
   * Name and parameters of each strategy by id, as the user gave them: recorded in `session.started` so
   * `sofia replay` can rebuild each strategy exactly (see `strategyParamsOf`).
   */
  readonly strategyParams?: Readonly<Record<string, StrategySpec>>
  /**
   * Client order ids carry the store's identity and restore epoch (unique per exchange account across stores
   * and restores). On for sessions that send orders to an exchange; off elsewhere, so backtests stay
   * byte-identical run to run.
   */
  readonly uniqueClientIds?: boolean
  /**
   * Whose account the ledger holds at the start, for a session on an exchange behind the mode router: `live`
   * (the exchange is the primary leg) or `sim`. A start in `live` on a store last used in a simulated mode
   * leaves the simulator's fills out of the ledger (system/account-periods). Unset elsewhere.
   */
  readonly account?: AccountLeg
  /** How the store is named in messages (its file or URL). */
  readonly storeName?: string
}

/**
 * The feeds (`venue:symbol`) a strategy's parameters name: its venue(s) × its symbol. Empty when they do not
 * name both (the strategy then depends on every feed as far as the stale-data pause is concerned).
 */
/** What a session on the wall clock is guarded and recorded by (paper and exchange sessions alike). */
export type SessionGuards = Pick<TraderOptions, 'store' | 'riskSettings' | 'positionOverride' | 'killFile' | 'onAlert'>

/** Those of `o`'s guards that are given (the trader's defaults stand for the others). */
export function sessionGuards(o: { readonly [K in keyof SessionGuards]?: SessionGuards[K] | undefined }): SessionGuards {
  return {
    ...(o.store !== undefined ? { store: o.store } : {}),
    ...(o.riskSettings !== undefined ? { riskSettings: o.riskSettings } : {}),
    ...(o.positionOverride !== undefined ? { positionOverride: o.positionOverride } : {}),
    ...(o.killFile !== undefined ? { killFile: o.killFile } : {}),
    ...(o.onAlert !== undefined ? { onAlert: o.onAlert } : {}),
  }
}

export function feedsOfParams(params: Readonly<Record<string, string>> | undefined): string[] {
  if (params === undefined) return []
  const symbol = params['symbol']
  const venues = ['venue', 'venueA', 'venueB'].map((k) => params[k]).filter((v): v is string => typeof v === 'string' && v !== '')
  return symbol === undefined || symbol === '' ? [] : venues.map((v) => `${v}:${symbol}`)
}

/** The `strategyParams` of strategies made by `createStrategies(specs)` (same ids, same order). */
export function strategyParamsOf(strategies: readonly Strategy[], specs: readonly StrategySpec[]): Record<string, StrategySpec> {
  const out: Record<string, StrategySpec> = {}
  strategies.forEach((s, i) => {
    const spec = specs[i]
    if (spec !== undefined) out[s.id] = { name: spec.name, params: { ...spec.params } }
  })
  return out
}

/** An instrument as `session.started` records it (decimals as strings); `makeInstrument` reads it back. */
export function instrumentRecord(i: Instrument): Record<string, string> {
  return {
    symbol: i.symbol,
    tickSize: i.tickSize.toString(),
    stepSize: i.stepSize.toString(),
    minAmount: i.minAmount.toString(),
    minCost: i.minCost.toString(),
    makerFee: i.makerFee.toString(),
    takerFee: i.takerFee.toString(),
  }
}

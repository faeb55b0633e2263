/**
 * @module system/safety-types
 * The safety layer's keys in the store, its options and what it reports (types and constants only).
 */
import type { Clock, EngineEvents, EventBus } from '../engine/index.js'
import type { OrderManager } from '../execution/index.js'
import type { Ledger } from '../ledger/index.js'
import type { Decimal } from '../model/index.js'
import { InputError } from '../model/index.js'
import type { CircuitBreakers, KillSwitch, KillSwitchTrigger, OrderPurpose, PositionOverride, RiskMonitors, TradingStates } from '../risk/index.js'
import type { MarketState } from '../strategy/market-state.js'
import type { Persistence } from './persistence.js'
import type { SessionCommands } from './command-results.js'

/** The strategy id an operator's manual orders go under (its own book in the ledger, its own trading state). */
export const MANUAL_STRATEGY = 'manual'

export const KILL_SWITCH_KEY = 'kill_switch'
export const KILL_SWITCH_HISTORY_KEY = 'kill_switch.history'
export const TRADING_STATES_KEY = 'trading_states'
export const DAILY_BASELINE_KEY = 'risk.daily_baseline'
/** The exchange leg's P&L today (canary) as last seen, so a restart the same day carries it over. */
export const EXCHANGE_LEG_TODAY_KEY = 'risk.exchange_leg_today'
export const POSITION_OVERRIDE_KEY = 'position_override'

export interface DailyBaseline {
  /** UTC day start, ms. */
  readonly day: number
  /** Net P&L (realized + unrealized − fees) at the start of the day. */
  readonly net: string
  /** Positions not in `net` yet, for want of a price ("venue symbol"): each enters it at its first value. */
  readonly unvalued?: readonly string[]
}

export interface SafetyOptions {
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
  readonly ledger: Ledger
  readonly orders: OrderManager
  readonly market: MarketState
  readonly persistence: Persistence | undefined
  readonly killSwitch: KillSwitch
  readonly tradingStates: TradingStates
  readonly monitors: RiskMonitors
  readonly breakers: CircuitBreakers
  /** The risk engine's size multipliers (set by operators and by rollback). */
  readonly positionOverride: PositionOverride
  /** Exact net P&L of the account now (marks everything). */
  readonly netPnl: () => Decimal
  /**
   * The exchange leg of a session on an exchange: its net P&L this session (every mode), and whether it is
   * the leg to judge now — true while the session's own ledger is the simulator's yet orders reach the
   * exchange (canary). The daily-loss limit and the loss monitors then judge this leg: what the exchange did,
   * not the full-size simulated twin.
   */
  readonly exchangeLeg?: { net(): Decimal; judged(): boolean }
  /** Exact equity of the account now. */
  readonly equity: () => Decimal
  readonly maxDailyLoss?: Decimal
  readonly maxDailyLossPct?: number
  readonly baseline?: DailyBaseline
  /** The exchange leg's P&L today as an earlier session of the same day left it (canary). */
  readonly exchangeLegToday?: { readonly day: number; readonly pnl: string }
  /** Path of the KILL_SWITCH file to watch (wall-clock sessions only). */
  readonly killFile?: string
  /** Wall-clock sessions: poll the file and the control inbox, hold the session lease. */
  readonly wallClock: boolean
  readonly mode: string
  /** Ends the session (pilot-off). */
  readonly stopSession: () => void
  readonly log?: (line: string) => void
  /**
   * The feeds (`venue:symbol`) each strategy depends on, from its parameters. A strategy's orders add the
   * feeds they trade. A strategy with none known depends on every feed (fail closed).
   */
  readonly strategyFeeds?: ReadonlyMap<string, readonly string[]>
  /**
   * The markets the session listens to (`venue:symbol`): watched for staleness from the start, so one that never
   * delivers (a subscription that failed, a market silent since a restart) goes stale instead of staying unseen.
   */
  readonly feeds?: readonly string[]
  /**
   * Runs `submit` with its orders carrying a purpose (the risk engine's `withPurpose`): how an operator's
   * flatten passes a halt. Without it, flatten is refused.
   */
  readonly withPurpose?: <T>(purpose: OrderPurpose, submit: () => T) => T
  /**
   * True while no order of this session can reach an exchange (a session on an exchange in shadow or paper
   * mode). The kill switch and the daily-loss limit guard the exchange account, so they do not hold back the
   * simulator leg then: recovery through shadow can run the same day while live stays blocked. Absent: every
   * order counts (plain paper and backtest sessions halt like live ones).
   */
  readonly simulatorOnly?: () => boolean
  /** The session's handler of `mode.set`, `shadow.rollback` and `resync`. */
  readonly commands?: SessionCommands
}

/** A change of trading state, for reports: when, what changed, and why. */
export interface StateChange {
  readonly at: number
  readonly what: string
  readonly cause: string
}

/** A change of trading state or a stale-data pause, as told to `onStateChange` listeners (the cluster link). */
export interface SafetyStateChange {
  readonly what: 'trading_state' | 'stale_data'
  /** `account` or a strategy id. */
  readonly subject: string
  /** ACTIVE, REDUCING or HALTED; `paused` or `resumed` for stale data. */
  readonly state: string
  readonly reason: string | null
  readonly actor: string
  readonly at: number
}

/** What Safety tells its listeners (notifiers, incident records): a trip, or pilot-off ending the session. */
export interface SafetyNotice {
  readonly kind: 'kill_switch' | 'shutdown'
  readonly at: number
  readonly actor: string
  readonly reason: string
  readonly trigger: KillSwitchTrigger | null
  /** What Sofia saw (positions, P&L, open orders) and what it did (orders cancelled). */
  readonly detail: Readonly<Record<string, unknown>>
}

/** A listener may return a promise: pilot-off waits for it (bounded) before the session ends. */
export type SafetyListener = (notice: SafetyNotice) => unknown

/** How long pilot-off waits for notifications and records before ending the session. */
export const SHUTDOWN_NOTIFY_MS = 5_000

/** An answer as it crosses the control channel (JSON); `CommandOutcome` is the typed one. */
export interface CommandResult {
  readonly ok: boolean
  readonly result?: unknown
  readonly error?: string | undefined
}

/** Parses a stored trading-state or kill-switch value defensively (a damaged value is an input error). */
export function storedOr<T>(value: unknown, fallback: T, key: string): T {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'object') throw new InputError(`stored state '${key}' is malformed`)
  return value as T
}


/**
 * @module config/types
 * The validated configuration every part of Sofia reads. Money is Decimal, fractions are numbers
 * (0.05 = 5%), durations are integer milliseconds (keys end in `Ms`), credentials are `Secret`s.
 */
import type { RiskLimits } from '../risk/context.js'
import type { Secret } from './secret.js'

export const MODES = ['paper', 'backtest', 'shadow', 'canary', 'live', 'testnet'] as const
export type Mode = (typeof MODES)[number]
/** Modes that talk to a real exchange and so need `exchange.id`. */
export const EXCHANGE_MODES: readonly Mode[] = ['shadow', 'canary', 'live', 'testnet']

export const KILL_SWITCH_SETTINGS = ['OFF', 'ON', 'AUTO'] as const
/** OFF: monitors never trip it; ON: halted from the start; AUTO: monitors may trip it. */
export type KillSwitchSetting = (typeof KILL_SWITCH_SETTINGS)[number]
/** reject: an order that would trade with the account's own resting order is refused (SELF_TRADE); allow: it is sent. */
export const SELF_TRADE_SETTINGS = ['reject', 'allow'] as const
export type SelfTradeSetting = (typeof SELF_TRADE_SETTINGS)[number]

export interface SofiaConfig {
  readonly mode: Mode
  /** Absent in paper and backtest unless an exchange feed is wanted. */
  readonly exchange?: ExchangeConfig
  readonly risk: RiskConfig
  readonly canary: CanaryConfig
  /** Continuous reconciliation of a live session against its exchange. */
  readonly reconcile: ReconcileConfig
  /** PostgreSQL; absent → SQLite under `dataDir`. */
  readonly database?: DatabaseConfig
  readonly api: ApiConfig
  /** Where the audit chain's signing key and heads file are (absolute); absent → the defaults (audit/anchor). */
  readonly audit?: {
    readonly keyFile?: string
    readonly headsFile?: string
    /** `sofia serve` also sends each signed head to the webhook notifier of config/alerts.yaml (an off-machine copy). */
    readonly shipHeads?: boolean
  }
  /** Cluster mode (`sofia serve|run --nats URL --node-id ID`): absent → a single node. */
  readonly cluster?: ClusterConfig
  /** Absolute path of the state directory (SQLite store, audit chain, reports). */
  readonly dataDir: string
  /** Absolute path of the folder where `--strategy NAME` finds NAME.ts or NAME.js. */
  readonly strategyDir: string
  /** Where the values came from, for `sofia config show` and the audit chain. */
  readonly source: ConfigSource
}

export interface ClusterConfig {
  /** NATS server URL (JetStream enabled). */
  readonly nats?: string
  /** This node's id in the cluster (unique among live nodes). */
  readonly nodeId?: string
  /** Without NATS for this long a node halts itself; 0 turns it off. */
  readonly failClosedAfterMs: number
}

export interface ConfigSource {
  /** Absolute path of the file read; absent when no file exists and defaults apply. */
  readonly file?: string
  /** Names of the environment variables that overrode the file. */
  readonly env: readonly string[]
  /** Variables that look like Sofia's but are not read (one line each); `loadConfig` prints them to stderr. */
  readonly warnings: readonly string[]
  /**
   * Whether `risk.monitors` was written (in the file or the environment) rather than left to its defaults:
   * backtests run monitors only when it was.
   */
  readonly monitorsConfigured: boolean
}

export interface ExchangeConfig {
  /** CCXT exchange id, lower case (`binance`, `kraken`). */
  readonly id: string
  readonly apiKey?: Secret
  readonly apiSecret?: Secret
  /** Passphrase, for exchanges that need one (CCXT `password`). */
  readonly password?: Secret
  /** The exchange's sandbox (CCXT `setSandboxMode`); always true in mode testnet. */
  readonly sandbox: boolean
  /** The exchange's accept window for signed requests, ms (Binance recvWindow). */
  readonly recvWindowMs?: number
  /** Base URLs overriding the exchange's own, e.g. for the local exchange. */
  readonly urls?: ExchangeUrls
}

export interface ExchangeUrls {
  /** REST base URL (http/https). */
  readonly api?: string
  /** WebSocket base URL (ws/wss). */
  readonly ws?: string
}

/**
 * The limits are `RiskLimits` from risk/context.ts (an absent limit is not checked), so `config.risk` can be
 * handed to the risk gateway as is; plus the self-trade setting (which sessions turn into `preventSelfTrade`),
 * the kill switch, monitors and breakers.
 */
export interface RiskConfig extends Omit<RiskLimits, 'preventSelfTrade'> {
  readonly selfTrade: SelfTradeSetting
  readonly killSwitch: KillSwitchSetting
  readonly monitors: MonitorThresholds
  readonly circuitBreaker: CircuitBreakerConfig
}

/** A monitor warns (alert) at `warning` and, with the kill switch on AUTO, trips it at `critical`. */
export interface Levels {
  readonly warning: number
  readonly critical: number
}

export interface MonitorThresholds {
  /** Today's loss as a fraction of the daily loss limit (the tighter of maxDailyLoss and maxDailyLossPct × equity). */
  readonly dailyLoss: Levels
  /** The last hour's loss as a fraction of the same daily loss limit. */
  readonly hourlyLoss: Levels
  /** Fall from peak equity, as a fraction of the peak. */
  readonly drawdownPct: Levels
  /** Failed order requests as a fraction of all order requests over `windowMs`. */
  readonly errorRate: Levels & { readonly windowMs: number }
  /** Realized slippage divided by simulated slippage. */
  readonly slippageRatio: Levels
  /** Age of the newest market data, in milliseconds. */
  readonly staleDataMs: Levels
}

/** Per venue and per strategy: opens on `failures` consecutive failures or `errorRate` over `windowMs`. */
export interface CircuitBreakerConfig {
  readonly failures: number
  readonly errorRate: number
  readonly windowMs: number
  /** How long an open breaker waits before a half-open probe. */
  readonly coolDownMs: number
}

export interface ReconcileConfig {
  /** Orders and fills against the exchange's, ms. */
  readonly ordersEveryMs: number
  /** Balances against the exchange's, ms. */
  readonly balancesEveryMs: number
  /** Trip the kill switch (trigger `reconciliation`) when balances stay different from the exchange's. */
  readonly haltOnDiscrepancy: boolean
}

export interface CanaryConfig {
  /** Share of each intent sent to the exchange in canary mode, 1–100. */
  readonly percentage: number
}

export interface DatabaseConfig {
  /** `postgres://user:password@host:5432/db`; prints with the password redacted. */
  readonly url: Secret
}

export interface ApiConfig {
  readonly host: string
  readonly port: number
}

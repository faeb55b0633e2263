/**
 * @module api/deps
 * What the API server is built from: the running session and its store, the tokens, the metrics, and the
 * seams other subsystems plug into (alert engine, SLO tracker, reconciliation, reports). A seam left empty
 * makes its route answer with what the session has (alerts) or 501 NOT_AVAILABLE.
 */
import type { LogBuffer, SofiaMetrics } from '../observability/index.js'
import type { Store } from '../store/index.js'
import type { CandleBook, DeploymentControl, Session } from '../system/index.js'
import type { TokenRegistry } from './tokens.js'
import type { ApiAlert } from './wire.js'
import type { ClusterStatus } from '../cluster/types.js'

export type { DeploymentControl }

export type { ApiAlert } from './wire.js'

/** The alert engine's view (rules firing, recent notifications); default: Safety's recent alerts. */
export interface AlertSource {
  recent(): readonly ApiAlert[]
  /** Rules firing now, when an alert engine runs. */
  firing?(): readonly unknown[]
}

/** The SLO tracker's view. */
export interface SloSource {
  status(): unknown
}

/** What an operator command of the session answers (the control channel's shape). */
export interface DeploymentResult {
  readonly ok: boolean
  readonly result?: unknown
  readonly error?: string | undefined
}

/**
 * What the API reads of the session it operates: the façade `buildSession` returns. Its mode is read on every
 * request (it follows `sofia shadow promote|rollback`); its deployment (shadow, canary, live behind the mode
 * router, and the exchange feed) serves `/shadow/status`, `POST /shadow/rollback` and `POST /ws/restart`, and
 * is absent for the synthetic market.
 */
export type ApiSession = Pick<Session, 'trader' | 'mode' | 'running' | 'startedAt' | 'deployment' | 'subscribe'>

/** An operator procedure the API runs on request (reconciliation, reports). */
export type Procedure = (args: Readonly<Record<string, unknown>>, actor: string) => Promise<unknown>

export interface ApiDeps {
  readonly session: ApiSession
  readonly store: Store
  readonly tokens: TokenRegistry
  readonly metrics: SofiaMetrics
  readonly alerts?: AlertSource
  /** Candles of the session's market data for the price chart (`GET /candles`). */
  readonly candles?: CandleBook
  /** The process's recent log lines (`GET /logs`); the API server's own lines are added to it too. */
  readonly logs?: LogBuffer
  readonly slo?: SloSource
  readonly reconcile?: { readonly run?: Procedure; readonly positions?: Procedure }
  readonly reports?: { readonly eod?: Procedure }
  /** Where reports live (`<data-dir>/reports/…`); without it /reconciliation/runs answers 501. */
  readonly dataDir?: string
  /**
   * What a backtest started from the dashboard may run besides the built-ins: the user's strategy files (in
   * `strategyDir`) and registered versions, read by the child `sofia backtest` from this server's store, which
   * `storeArgs` selects (`--db FILE`; none for PostgreSQL, selected by DATABASE_URL in the environment).
   */
  readonly backtests?: { readonly strategyDir?: string; readonly storeArgs: readonly string[] }
  /** A feed with no event for this long fails /health (default 10 s). */
  readonly feedStaleMs?: number
  /** The cluster this node belongs to (`--nats`); without it `GET /cluster/status` says the node runs alone. */
  readonly cluster?: { readonly id: string; status(): Promise<ClusterStatus> } | undefined
}

export interface ServerOptions {
  /** Max request body, bytes (default 16 kB). */
  readonly bodyLimit?: number
  /** Requests per minute per token (or per IP without one); 0 turns the limit off (default 600). */
  readonly rateLimitPerMinute?: number
  /** Require a viewer token for /metrics (default open). */
  readonly metricsAuth?: boolean
  /** pino level (default warn: no line per request). */
  readonly logLevel?: string
  /** Where log lines go (default stderr); tests read them here. */
  readonly logDestination?: { write(line: string): void }
  /** Serve the dashboard build in this directory at `/` (see api/dashboard). */
  readonly dashboardDir?: string
  /** Test load: this many synthetic `load` events a second on the event stream. */
  readonly sseLoadPerSecond?: number
}

/** Requests per minute per token (or IP) unless `--rate-limit` says (here, not in server.ts, so the CLI can name it without loading the server). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600

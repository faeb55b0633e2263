/**
 * @module api/deps
 * What the API server is built from: the running session and its store, the tokens, the metrics, and the
 * seams other subsystems plug into (alert engine, SLO tracker, reconciliation, reports). A seam left empty
 * makes its route answer with what the session has (alerts) or 501 NOT_AVAILABLE.
 */
import type { SofiaMetrics } from '../observability/index.js'
import type { Store } from '../store/index.js'
import type { Trader } from '../system/index.js'
import type { TokenRegistry } from './tokens.js'

/** An alert as the API lists it. */
export interface ApiAlert {
  readonly at: number
  readonly name: string
  readonly level: string
  readonly detail: string
}

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

/** An operator procedure the API runs on request (reconciliation, reports). */
export type Procedure = (args: Readonly<Record<string, unknown>>, actor: string) => Promise<unknown>

export interface ApiDeps {
  readonly trader: Trader
  readonly store: Store
  readonly tokens: TokenRegistry
  readonly metrics: SofiaMetrics
  /** paper, shadow, canary, live. */
  readonly mode: string
  readonly startedAt: number
  /** Whether the session is running (false before it starts and once it stops). */
  readonly running: () => boolean
  readonly alerts?: AlertSource
  readonly slo?: SloSource
  readonly reconcile?: { readonly run?: Procedure; readonly positions?: Procedure }
  readonly reports?: { readonly eod?: Procedure }
  /** Where reports live (`<data-dir>/reports/…`); without it /reconciliation/runs answers 501. */
  readonly dataDir?: string
  /** A feed with no event for this long fails /health (default 10 s). */
  readonly feedStaleMs?: number
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
  /** Serve the dashboard build in this directory at `/` (see api/dashboard). */
  readonly dashboardDir?: string
  /** Test load: this many synthetic `load` events a second on the event stream. */
  readonly sseLoadPerSecond?: number
}

/**
 * @module cluster/types
 * What nodes of a cluster tell each other and what `GET /cluster/status` answers. Types only, with no import:
 * the dashboard imports them as they are.
 */
/** A kill switch trigger (risk/kill-switch's KillSwitchTrigger). */
type Trigger = 'manual' | 'file' | 'config' | 'daily_loss' | 'hourly_loss' | 'drawdown' | 'error_rate' | 'reconciliation' | 'alert_rule' | 'rollback' | 'cluster'

/** The global kill switch: its last change. */
export interface ClusterHalt {
  readonly active: boolean
  readonly trigger: Trigger | null
  readonly reason: string
  readonly actor: string
  /** The node it happened on (`cli` for `sofia cluster halt|resume`). */
  readonly node: string
  /** The process it happened in (tells a node its own change from another's under the same id). */
  readonly instance: string
  /** When it happened there, ms. */
  readonly at: number
}

export interface NodeHeartbeat {
  readonly id: string
  readonly instance: string
  readonly host: string
  readonly pid: number
  readonly mode: string
  readonly strategies: readonly string[]
  readonly killSwitch: { readonly active: boolean; readonly trigger: string | null; readonly reason: string | null }
  readonly startedAt: number
  readonly at: number
  /** The operator API of the node, when it serves one. */
  readonly api?: string
  /** Halts of other nodes applied here: how many, and the delay of the last from the trip to here, ms. */
  readonly haltsApplied: { readonly count: number; readonly lastDelayMs: number | null }
}

export interface ClusterStatus {
  readonly halt: ClusterHalt | null
  readonly nodes: readonly (NodeHeartbeat & { readonly ageMs: number; readonly stale: boolean })[]
}

/** A change of one node's kill switch, published on `sofia.cluster.<node>.kill_switch`. */
export interface NodeKillSwitchMessage {
  readonly node: string
  readonly action: 'activated' | 'deactivated'
  readonly trigger: Trigger | null
  readonly reason: string
  readonly actor: string
  readonly at: number
  /** Applying another node's change: that node, and the delay from its change to this one, ms. */
  readonly from?: string
  readonly delayMs?: number
}

/**
 * A change of state on one node, published on `sofia.cluster.<node>.state`: the trading state of the account or
 * a strategy (ACTIVE, REDUCING, HALTED), a strategy paused or resumed for stale data, or a component's lifecycle
 * (the kill switch has a subject of its own).
 */
export interface NodeStateMessage {
  readonly node: string
  readonly what: 'trading_state' | 'stale_data' | 'component'
  /** `account`, a strategy id or a component name. */
  readonly subject: string
  /** The new state: ACTIVE/REDUCING/HALTED; paused/resumed; ready/running/stopped/degraded/faulted. */
  readonly state: string
  readonly reason: string | null
  readonly actor: string
  readonly at: number
}

/**
 * Where a node's store (and so its audit chain) is, put in the cluster's bucket at every join (key
 * `store.<node>`, kept after the node is gone): `sofia audit verify --cluster` finds every node's chain by it.
 */
export interface NodeStoreRecord {
  readonly node: string
  readonly host: string
  /** `sqlite` or `postgres`. */
  readonly kind: string
  /** The SQLite file, or the PostgreSQL server and schema (no password). */
  readonly location: string
  /** The node's signed-heads file (on its host). */
  readonly headsFile?: string
  readonly at: number
}

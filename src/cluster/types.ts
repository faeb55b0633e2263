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

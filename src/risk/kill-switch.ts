/**
 * @module risk/kill-switch
 * The kill switch: the one owner of "may Sofia trade". Active means HALTED (NautilusTrader's sense: only
 * cancels and queries, and an operator's flatten). A pure state machine; the composition root acts on
 * its changes (cancel every open order, record, alert) and persists its state so a halt survives restarts.
 *
 * Modes (KILL_SWITCH): `AUTO` — armed: operators, the KILL_SWITCH file, monitors, alert rules and a failed
 * reconciliation can trip it; `ON` — engaged by configuration: halted from start until the mode changes;
 * `OFF` — automatic triggers are ignored (monitors only warn). An operator's manual activation (CLI, API,
 * KILL_SWITCH file) always works, in every mode: a human must always be able to stop trading.
 */

export const KILL_SWITCH_MODES = ['OFF', 'ON', 'AUTO'] as const
export type KillSwitchMode = (typeof KILL_SWITCH_MODES)[number]

export const KILL_SWITCH_TRIGGERS = [
  'manual',
  'file',
  'config',
  'daily_loss',
  'hourly_loss',
  'drawdown',
  'error_rate',
  'reconciliation',
  'alert_rule',
  'rollback',
  'cluster',
] as const
export type KillSwitchTrigger = (typeof KILL_SWITCH_TRIGGERS)[number]

/**
 * Triggers an operator pulls; they work even when the mode is OFF. `cluster`: another node's halt applied here,
 * or this node halting itself when it loses the cluster (cluster/node): a fleet halt must halt every node.
 */
const MANUAL: ReadonlySet<KillSwitchTrigger> = new Set(['manual', 'file', 'config', 'rollback', 'cluster'])

/** Whether Sofia tripped it by itself (a monitor, an alert rule, a failed reconciliation), not an operator. */
export function isAutomaticTrigger(trigger: KillSwitchTrigger): boolean {
  return !MANUAL.has(trigger)
}

export interface DeactivateOptions {
  /** The path of the KILL_SWITCH file when it exists: it keeps the switch engaged until removed. */
  readonly killFilePresent?: string
  /** Set by `sofia reconcile clear`: the only way to lift a halt a reconciliation caused. */
  readonly clearsReconciliation?: boolean
}

export interface KillSwitchState {
  readonly active: boolean
  readonly trigger: KillSwitchTrigger | null
  readonly reason: string | null
  readonly actor: string | null
  /** When it was activated (or last deactivated), ms. */
  readonly since: number | null
}

export interface KillSwitchEvent {
  readonly at: number
  readonly action: 'activated' | 'deactivated'
  readonly trigger: KillSwitchTrigger | null
  readonly reason: string
  readonly actor: string
  /** What Sofia saw when it happened (positions, P&L, open orders): filled in by the caller. */
  readonly snapshot?: unknown
}

export type DeactivateResult = { readonly ok: true } | { readonly ok: false; readonly blockers: readonly string[] }

export const INACTIVE: KillSwitchState = { active: false, trigger: null, reason: null, actor: null, since: null }

/** How many events `history()` keeps (the audit chain keeps them all). */
const HISTORY = 200

export class KillSwitch {
  private current: KillSwitchState
  private readonly events: KillSwitchEvent[]

  constructor(
    private mode: KillSwitchMode,
    initial: KillSwitchState = INACTIVE,
    history: readonly KillSwitchEvent[] = [],
  ) {
    this.current = initial
    this.events = history.slice(-HISTORY)
  }

  get configuredMode(): KillSwitchMode {
    return this.mode
  }

  /** Whether trading is HALTED (no order of any kind passes; an operator's flatten excepted). */
  get active(): boolean {
    return this.current.active || this.mode === 'ON'
  }

  state(): KillSwitchState {
    if (this.mode === 'ON' && !this.current.active) {
      return { active: true, trigger: 'config', reason: 'KILL_SWITCH=ON in the configuration', actor: 'system', since: null }
    }
    return this.current
  }

  history(): readonly KillSwitchEvent[] {
    return this.events
  }

  setMode(mode: KillSwitchMode): void {
    this.mode = mode
  }

  /**
   * Trips the switch. Returns the event when this call changed the state; undefined when it was already
   * active or when an automatic trigger is ignored because the mode is OFF.
   */
  trip(trigger: KillSwitchTrigger, reason: string, actor: string, now: number, snapshot?: unknown): KillSwitchEvent | undefined {
    if (this.current.active) return undefined
    if (this.mode === 'OFF' && !MANUAL.has(trigger)) return undefined
    this.current = { active: true, trigger, reason, actor, since: now }
    return this.record({ at: now, action: 'activated', trigger, reason, actor, ...(snapshot !== undefined ? { snapshot } : {}) })
  }

  /**
   * Clears the switch: needs an operator, a reason, and no breach still standing (each blocker named).
   * In mode ON it stays engaged until the configuration changes, and says so. While the KILL_SWITCH file
   * exists it stays engaged (the file would trip it again); a reconciliation halt lifts only through
   * `sofia reconcile clear`, so a plain deactivation cannot wave away a standing discrepancy.
   */
  deactivate(
    reason: string,
    actor: string,
    now: number,
    standingBreaches: readonly string[],
    options: DeactivateOptions = {},
  ): DeactivateResult & { event?: KillSwitchEvent } {
    const blockers: string[] = []
    if (!actor.startsWith('operator:')) blockers.push(`only an operator may deactivate the kill switch (actor ${actor})`)
    if (reason.trim() === '') blockers.push('a reason is required')
    if (this.mode === 'ON') blockers.push('KILL_SWITCH=ON in the configuration keeps it engaged; set it to AUTO or OFF')
    if (options.killFilePresent !== undefined) blockers.push(`the KILL_SWITCH file ${options.killFilePresent} still exists; remove it first`)
    if (this.current.active && this.current.trigger === 'reconciliation' && options.clearsReconciliation !== true) {
      blockers.push("a reconciliation halted trading; once the discrepancy is resolved, lift it with 'sofia reconcile clear --reason ...'")
    }
    blockers.push(...standingBreaches.map((b) => `breach still standing: ${b}`))
    if (blockers.length > 0) return { ok: false, blockers }
    if (!this.current.active) return { ok: true }
    const trigger = this.current.trigger
    this.current = { active: false, trigger: null, reason, actor, since: now }
    return { ok: true, event: this.record({ at: now, action: 'deactivated', trigger, reason, actor }) }
  }

  private record(event: KillSwitchEvent): KillSwitchEvent {
    this.events.push(event)
    if (this.events.length > HISTORY) this.events.splice(0, this.events.length - HISTORY)
    return event
  }
}

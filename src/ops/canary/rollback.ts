/**
 * @module ops/canary/rollback
 * The rollback procedure (`sofia rollback`, a failed canary criterion, a critical alert whose action is
 * kill_switch, the KILL_SWITCH file). Steps, in this order, each audited as `rollback.step`:
 *
 * 1. stop_trading      trading state HALTED
 * 2. kill_switch       trip the kill switch (trigger `rollback`): blocks risk-adding orders, cancels open ones
 * 3. switch_version    the strategy's active version → last_good (or --target-version), artifact verified
 * 4. freeze_learning   config/online_learning_freeze.json {frozen: true, since, reason}
 * 5. position_override size multiplier 0.1
 * 6. notify            the notifier hook (the alert notifier hub when configured)
 * 7. incident          <data-dir>/incidents/INC-<UTC>.md + .json, timeline from the audit chain
 *
 * A failing step is recorded and the next ones still run: halting matters more than a tidy registry. The
 * safety steps come first and, inside a session, happen synchronously in the event that triggered the
 * rollback. `dryRun` describes every step and writes nothing.
 */
import { existsSync } from 'node:fs'
import type { Alert } from '../../observability/index.js'
import type { Store } from '../../store/index.js'
import type { OperatorConsole } from '../../system/index.js'
import { KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, POSITION_OVERRIDE_KEY, TRADING_STATES_KEY } from '../../system/index.js'
import { INACTIVE, KillSwitch, TradingStates } from '../../risk/index.js'
import type { KillSwitchEvent, KillSwitchMode, KillSwitchState, TradingStatesSnapshot } from '../../risk/index.js'
import { writeAudited } from '../../audit/index.js'
import { isFrozen, writeFreeze } from './freeze.js'
import { auditTimeline, incidentId, writeIncident } from './incident.js'
import type { IncidentRecord } from './incident.js'
import { StrategyRegistry } from './registry.js'
import type { AuditSink } from './sink.js'
import { join } from 'node:path'
import type { AuditPayload } from '../../audit/index.js'

export const ROLLBACK_STEPS = ['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident'] as const
export type RollbackStep = (typeof ROLLBACK_STEPS)[number]
export const ROLLBACK_TRIGGERS = ['operator', 'canary', 'alert', 'kill_switch_file'] as const
export type RollbackTrigger = (typeof ROLLBACK_TRIGGERS)[number]
export const ROLLBACK_LAST_KEY = 'rollback.last'
export const ROLLBACK_MULTIPLIER = 0.1

export interface StepOutcome {
  readonly ok: boolean
  readonly detail: string
}

/** What a rollback does to the safety layer: a running session's, or the store's when none runs. */
export interface SafetyActions {
  /** One line per safety step: what it would change (dry run). */
  describe(): Promise<{ readonly tradingState: string; readonly killSwitch: string; readonly override: string }>
  halt(actor: string, reason: string): StepOutcome | Promise<StepOutcome>
  tripKillSwitch(actor: string, reason: string): StepOutcome | Promise<StepOutcome>
  setPositionOverride(multiplier: number, actor: string): StepOutcome | Promise<StepOutcome>
}

export interface RollbackOptions {
  readonly sink: AuditSink
  readonly safety: SafetyActions
  readonly reason: string
  readonly trigger: RollbackTrigger
  readonly actor: string
  /** Strategies to switch (default: every strategy with an active version). */
  readonly strategies?: readonly string[]
  readonly targetVersion?: string
  readonly dryRun?: boolean
  readonly dataDir: string
  /** Path of the online-learning freeze file. */
  readonly freezeFile: string
  readonly notifier?: (alert: Alert) => unknown
  /** How far before the rollback the incident timeline starts (default 1 h). */
  readonly incidentWindowMs?: number
  /** When the incident began, if before the rollback (e.g. when the failing stage started). */
  readonly incidentStart?: number
  readonly multiplier?: number
  /** Extra facts for the incident's impact section (e.g. the failed canary criteria). */
  readonly impact?: Readonly<Record<string, unknown>>
  readonly registryRoot?: string
}

export interface StepResult extends StepOutcome {
  readonly step: RollbackStep
}

export interface RollbackReport {
  readonly at: number
  readonly dryRun: boolean
  readonly trigger: RollbackTrigger
  readonly reason: string
  readonly actor: string
  readonly steps: readonly StepResult[]
  readonly ok: boolean
  readonly incident?: { readonly id: string; readonly md: string; readonly json: string }
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown }).then === 'function'

async function strategiesToSwitch(registry: StrategyRegistry, o: RollbackOptions): Promise<string[]> {
  if (o.strategies !== undefined && o.strategies.length > 0) return [...o.strategies]
  return [...new Set((await registry.list()).filter((v) => v.status === 'active').map((v) => v.strategy))]
}

export function rollbackAlert(o: Pick<RollbackOptions, 'reason' | 'trigger' | 'actor'>, strategies: readonly string[], at: number): Alert {
  const labels = strategies.length > 0 ? { strategy: strategies.join(',') } : {}
  return {
    rule: 'Rollback',
    labels,
    key: `Rollback${strategies.length > 0 ? `{strategy=${strategies.join(',')}}` : ''}`,
    state: 'firing',
    severity: 'critical',
    action: 'kill_switch',
    value: 1,
    op: '==',
    threshold: 1,
    summary: `Rollback (${o.trigger}) by ${o.actor}: ${o.reason}`,
    description: 'Trading halted, kill switch tripped, strategy switched to its last good version, online learning frozen, size at 10%',
    activeSince: at,
    firedAt: at,
    at,
  }
}

/** Lists what a rollback would do; changes nothing. */
export async function planRollback(o: RollbackOptions): Promise<RollbackReport> {
  const at = o.sink.now()
  const registry = new StrategyRegistry(o.sink, o.registryRoot !== undefined ? { root: o.registryRoot } : {})
  const safety = await o.safety.describe()
  const strategies = await strategiesToSwitch(registry, o)
  const switches: string[] = []
  let switchOk = true
  for (const s of strategies) {
    try {
      const p = await registry.planRollback(s, o.targetVersion)
      switches.push(`${s}: ${p.from?.version ?? '(none)'} → ${p.to.version}${p.to.artifact !== null ? ` (artifact ${p.to.artifact.path} checked on the way)` : ''}; last_good after: ${p.lastGoodAfter?.version ?? '(none)'}`)
    } catch (error) {
      switchOk = false
      switches.push(`${s}: would fail: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const frozen = existsSync(o.freezeFile) ? isFrozen(o.freezeFile) : undefined
  const steps: StepResult[] = [
    { step: 'stop_trading', ok: true, detail: `would set the trading state to HALTED (${safety.tradingState})` },
    { step: 'kill_switch', ok: true, detail: `would trip the kill switch with trigger rollback (${safety.killSwitch})` },
    { step: 'switch_version', ok: switchOk, detail: switches.length === 0 ? 'no strategy has an active version in the registry: nothing to switch' : `would switch ${switches.join('; ')}` },
    { step: 'freeze_learning', ok: true, detail: `would write ${o.freezeFile} {frozen: true}${frozen !== undefined ? ' (already frozen)' : ''}` },
    { step: 'position_override', ok: true, detail: `would set the position override to ${o.multiplier ?? ROLLBACK_MULTIPLIER} (${safety.override})` },
    { step: 'notify', ok: true, detail: o.notifier === undefined ? 'no notifier configured: nothing would be sent' : 'would send a critical Rollback notification' },
    { step: 'incident', ok: true, detail: `would write ${join(o.dataDir, 'incidents', `${incidentId(join(o.dataDir, 'incidents'), at)}.md`)} and .json` },
  ]
  return { at, dryRun: true, trigger: o.trigger, reason: o.reason, actor: o.actor, steps, ok: steps.every((s) => s.ok) }
}

/** Runs the rollback. */
export async function executeRollback(o: RollbackOptions): Promise<RollbackReport> {
  if (o.dryRun === true) return planRollback(o)
  const { sink, actor } = o
  const at = sink.now()
  const reason = `rollback (${o.trigger}): ${o.reason}`
  const steps: StepResult[] = []
  const record = (step: RollbackStep, r: StepOutcome): void => {
    steps.push({ step, ...r })
    sink.audit({ type: 'rollback.step', actor, payload: { step, ok: r.ok, detail: r.detail, trigger: o.trigger } })
  }
  const guard = (step: RollbackStep, fn: () => StepOutcome | Promise<StepOutcome>): StepOutcome | Promise<StepOutcome> => {
    try {
      const r = fn()
      return isPromise(r) ? r.catch((error: unknown) => ({ ok: false, detail: `failed: ${error instanceof Error ? error.message : String(error)}` })) : r
    } catch (error) {
      return { ok: false, detail: `failed (${step}): ${error instanceof Error ? error.message : String(error)}` }
    }
  }
  sink.audit({ type: 'rollback.started', actor, payload: { trigger: o.trigger, reason: o.reason, targetVersion: o.targetVersion ?? null } })
  // The safety steps: synchronous with a session, so nothing else trades before they are done.
  for (const [step, fn] of [
    ['stop_trading', () => o.safety.halt(actor, reason)],
    ['kill_switch', () => o.safety.tripKillSwitch(actor, reason)],
  ] as const) {
    const r = guard(step, fn)
    record(step, isPromise(r) ? await r : r)
  }
  const registry = new StrategyRegistry(sink, o.registryRoot !== undefined ? { root: o.registryRoot } : {})
  const strategies = await strategiesToSwitch(registry, o).catch(() => [] as string[])
  const switched = await guard('switch_version', async () => {
    if (strategies.length === 0) return { ok: true, detail: 'no strategy has an active version in the registry: nothing to switch' }
    const parts: string[] = []
    let ok = true
    for (const s of strategies) {
      try {
        const r = await registry.rollback(s, actor, o.reason, o.targetVersion)
        parts.push(`${s}: ${r.from ?? '(none)'} → ${r.to} (last_good now ${r.lastGood ?? '(none)'})`)
      } catch (error) {
        ok = false
        parts.push(`${s}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    return { ok, detail: parts.join('; ') }
  })
  record('switch_version', switched)
  record(
    'freeze_learning',
    await guard('freeze_learning', () => {
      writeFreeze(o.freezeFile, { frozen: true, since: new Date(at).toISOString(), reason })
      return { ok: true, detail: `wrote ${o.freezeFile}` }
    }),
  )
  const multiplier = o.multiplier ?? ROLLBACK_MULTIPLIER
  const over = guard('position_override', () => o.safety.setPositionOverride(multiplier, actor))
  record('position_override', isPromise(over) ? await over : over)
  record(
    'notify',
    await guard('notify', async () => {
      if (o.notifier === undefined) return { ok: true, detail: 'no notifier configured' }
      await o.notifier(rollbackAlert(o, strategies, at))
      return { ok: true, detail: 'critical Rollback notification sent' }
    }),
  )
  await sink.flush()
  let incident: RollbackReport['incident']
  const inc = await guard('incident', async () => {
    const windowStart = Math.min(o.incidentStart ?? at, at - (o.incidentWindowMs ?? 3_600_000))
    const { timeline, activity } = await auditTimeline(sink.store, windowStart)
    const id = incidentId(join(o.dataDir, 'incidents'), at)
    const doc: IncidentRecord = {
      id,
      createdAt: new Date(at).toISOString(),
      title: `Rollback${strategies.length > 0 ? ` of ${strategies.join(', ')}` : ''} (${o.trigger})`,
      trigger: o.trigger,
      reason: o.reason,
      strategy: strategies.length > 0 ? strategies.join(',') : null,
      summary: `${o.actor} rolled back${strategies.length > 0 ? ` ${strategies.join(', ')}` : ''} at ${new Date(at).toISOString()} (${o.trigger}): ${o.reason}. Trading is halted with the kill switch tripped; an operator must deactivate it after review.`,
      impact: { ...(o.impact ?? {}), positionOverride: multiplier, onlineLearning: 'frozen' },
      timeline,
      activity,
      steps: steps.map((s) => ({ step: s.step, ok: s.ok, detail: s.detail })),
      rootCause: 'TODO: what caused it (fill the five whys in).',
      actionItems: ['TODO: confirm positions and open orders against the exchange (sofia reconcile)', 'TODO: decide when to deactivate the kill switch and restore size', 'TODO: fix, re-validate (sofia validate) and register a new version'],
    }
    const paths = writeIncident(o.dataDir, doc)
    incident = { id, ...paths }
    return { ok: true, detail: `wrote ${paths.md} and ${paths.json}` }
  })
  record('incident', inc)
  const ok = steps.every((s) => s.ok)
  const report: RollbackReport = { at, dryRun: false, trigger: o.trigger, reason: o.reason, actor, steps, ok, ...(incident !== undefined ? { incident } : {}) }
  await sink.commit({ state: [{ key: ROLLBACK_LAST_KEY, value: report }] }, [{ type: 'rollback.completed', actor, payload: { ok, trigger: o.trigger, incident: incident?.id ?? null, failed: steps.filter((s) => !s.ok).map((s) => s.step) } }])
  return report
}

// ---- safety actions ---------------------------------------------------------------------------------

/** What sessionSafety needs of a Trader. */
export interface SessionSafety {
  readonly safety: {
    setTradingState(state: 'ACTIVE' | 'REDUCING' | 'HALTED', actor: string, strategyId?: string): boolean
    activate(trigger: 'rollback', reason: string, actor: string): boolean
    execute(request: { command: 'position_override.set'; args: Record<string, unknown>; actor: string }): { ok: boolean; result?: unknown; error?: string | undefined }
    status(): { killSwitch: KillSwitchState; tradingStates: TradingStatesSnapshot }
  }
}

/** The safety layer of a session in this process (synchronous). */
export function sessionSafety(t: SessionSafety): SafetyActions {
  return {
    describe: () => {
      const s = t.safety.status()
      return Promise.resolve({
        tradingState: `now ${s.tradingStates.account}`,
        killSwitch: s.killSwitch.active ? `already active: ${s.killSwitch.trigger ?? ''}` : 'now inactive',
        override: 'session override',
      })
    },
    halt: (actor) => {
      const changed = t.safety.setTradingState('HALTED', actor)
      return { ok: true, detail: changed ? 'trading state HALTED' : 'trading state was already HALTED' }
    },
    tripKillSwitch: (actor, reason) => {
      const changed = t.safety.activate('rollback', reason, actor)
      return { ok: true, detail: changed ? 'kill switch activated (trigger rollback); open orders cancelled' : `kill switch was already active (${t.safety.status().killSwitch.trigger ?? '?'})` }
    },
    setPositionOverride: (multiplier, actor) => {
      const r = t.safety.execute({ command: 'position_override.set', args: { multiplier }, actor })
      return r.ok ? { ok: true, detail: `position override ${multiplier}` } : { ok: false, detail: r.error ?? 'refused' }
    },
  }
}

/** No session running: the store is changed directly (what a restarted session recovers), audited. */
export function storeSafety(store: Store, killSwitchMode: KillSwitchMode, now: () => number = Date.now): SafetyActions {
  const write = async <T extends 'state.changed' | 'kill_switch.activated'>(key: string, value: unknown, type: T, actor: string, payload: AuditPayload<T>, extra: { key: string; value: unknown }[] = []): Promise<void> => {
    await writeAudited(store, { state: [{ key, value }, ...extra] }, (log) => log.record(type, actor, payload, now()))
  }
  const states = async (): Promise<TradingStates> => new TradingStates((await store.getState<TradingStatesSnapshot>(TRADING_STATES_KEY)) ?? undefined)
  const killSwitch = async (): Promise<KillSwitch> =>
    new KillSwitch(killSwitchMode, (await store.getState<KillSwitchState>(KILL_SWITCH_KEY)) ?? INACTIVE, (await store.getState<KillSwitchEvent[]>(KILL_SWITCH_HISTORY_KEY)) ?? [])
  return {
    describe: async () => {
      const ks = (await killSwitch()).state()
      const override = await store.getState<{ account?: string }>(POSITION_OVERRIDE_KEY)
      return {
        tradingState: `now ${(await states()).snapshot().account}`,
        killSwitch: ks.active ? `already active: ${ks.trigger ?? ''} by ${ks.actor ?? ''}` : 'now inactive',
        override: `now ${override?.account ?? '1'}`,
      }
    },
    halt: async (actor) => {
      const s = await states()
      if (!s.set('HALTED')) return { ok: true, detail: 'trading state was already HALTED' }
      await write(TRADING_STATES_KEY, s.snapshot(), 'state.changed', actor, { key: TRADING_STATES_KEY, value: s.snapshot(), via: 'store' })
      return { ok: true, detail: 'trading state HALTED (no session running: recorded in the store)' }
    },
    tripKillSwitch: async (actor, reason) => {
      const ks = await killSwitch()
      const event = ks.trip('rollback', reason, actor, now(), { session: null })
      if (event === undefined) return { ok: true, detail: `kill switch was already active (${ks.state().trigger ?? '?'})` }
      await write(KILL_SWITCH_KEY, ks.state(), 'kill_switch.activated', actor, { ...event, via: 'store' }, [{ key: KILL_SWITCH_HISTORY_KEY, value: ks.history() }])
      return { ok: true, detail: 'kill switch activated (trigger rollback); open orders are cancelled when a session starts' }
    },
    setPositionOverride: async (multiplier, actor) => {
      const stored = (await store.getState<{ account?: string; strategies?: Record<string, string> }>(POSITION_OVERRIDE_KEY)) ?? {}
      const value = { ...stored, account: String(multiplier) }
      await write(POSITION_OVERRIDE_KEY, value, 'state.changed', actor, { key: POSITION_OVERRIDE_KEY, value, via: 'store' })
      return { ok: true, detail: `position override ${multiplier}` }
    },
  }
}

/**
 * A session runs in another process: what a dry run describes of it, through the control channel. A real
 * rollback is the `rollback` control command instead (the session runs every step; `attachSessionRollback`);
 * these actions remain for a session that has no rollback installed (recorded as a manual kill switch whose
 * reason starts with "rollback").
 */
export function consoleSafety(c: OperatorConsole): SafetyActions {
  const run = async (command: 'trading_state.set' | 'kill_switch.activate' | 'position_override.set', args: Record<string, unknown>, actor: string, ok: string): Promise<StepOutcome> => {
    const r = await c.execute(command, args, actor)
    return r.ok ? { ok: true, detail: `${ok} (via the running session)` } : { ok: false, detail: r.error ?? 'refused' }
  }
  return {
    describe: async () => {
      const s = await c.status()
      return { tradingState: `now ${s.tradingStates.account}`, killSwitch: s.killSwitch.active ? `already active: ${s.killSwitch.trigger ?? ''}` : 'now inactive', override: 'via the running session' }
    },
    halt: (actor) => run('trading_state.set', { state: 'HALTED' }, actor, 'trading state HALTED'),
    tripKillSwitch: (actor, reason) => run('kill_switch.activate', { reason }, actor, 'kill switch activated'),
    setPositionOverride: (multiplier, actor) => run('position_override.set', { multiplier }, actor, `position override ${multiplier}`),
  }
}

// ---- hooks -----------------------------------------------------------------------------------------

/**
 * Entry points for automatic rollbacks: the alert wiring calls `onAlert` (acts on firing alerts whose action
 * is kill_switch), Safety's KILL_SWITCH file trigger reaches `onKillSwitchFile` (or `watchKillSwitch` polls
 * a kill switch for a `file` activation), the canary orchestrator calls `onCanaryFailure`. One rollback runs
 * at a time; triggers after the first are ignored until `reset()` (an operator has looked).
 */
export class RollbackHooks {
  private current: Promise<RollbackReport> | undefined
  private done = false

  constructor(private readonly run: (trigger: RollbackTrigger, reason: string, extra?: Partial<RollbackOptions>) => Promise<RollbackReport>) {}

  get triggered(): boolean {
    return this.done || this.current !== undefined
  }

  private fire(trigger: RollbackTrigger, reason: string, extra?: Partial<RollbackOptions>): Promise<RollbackReport> | undefined {
    if (this.triggered) return undefined
    this.current = this.run(trigger, reason, extra).finally(() => {
      this.done = true
      this.current = undefined
    })
    return this.current
  }

  onAlert(alert: Alert): Promise<RollbackReport> | undefined {
    if (alert.action !== 'kill_switch' || alert.state !== 'firing' || alert.severity !== 'critical') return undefined
    return this.fire('alert', `${alert.rule}: ${alert.summary}`)
  }

  onKillSwitchFile(path: string): Promise<RollbackReport> | undefined {
    return this.fire('kill_switch_file', `${path} appeared`)
  }

  onCanaryFailure(reason: string, extra?: Partial<RollbackOptions>): Promise<RollbackReport> | undefined {
    return this.fire('canary', reason, extra)
  }

  /** Polls `state()` every `everyMs` of `clock` time; a `file` activation triggers the rollback. Returns a stop function. */
  watchKillSwitch(killSwitch: { state(): KillSwitchState }, clock: { now(): number; setTimer(at: number, cb: (now: number) => void): () => void }, everyMs = 1_000, file = 'KILL_SWITCH'): () => void {
    let cancel: (() => void) | undefined
    const tick = (now: number): void => {
      const s = killSwitch.state()
      if (s.active && s.trigger === 'file') void this.onKillSwitchFile(file)
      cancel = clock.setTimer(now + everyMs, tick)
    }
    cancel = clock.setTimer(clock.now() + everyMs, tick)
    return () => cancel?.()
  }

  reset(): void {
    this.done = false
  }
}

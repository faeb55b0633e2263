/**
 * @module ops/canary/session-rollback
 * The rollback procedure installed in a running session. Two ways in share it, one rollback at a time:
 * the automatic triggers (`RollbackHooks`: a critical kill_switch alert, the KILL_SWITCH file, a failed
 * canary criterion) and the `rollback` control command, which is how `sofia rollback` run in another process
 * reaches the session. Either way the session carries out every step itself, so each one is in its audit
 * chain with the trigger `rollback` on the kill switch.
 */
import type { Alert } from '../../observability/index.js'
import type { Store } from '../../store/index.js'
import type { CommandOutcome, Trader } from '../../system/index.js'
import { ROLLBACK_TRIGGERS, RollbackHooks, executeRollback, sessionSafety } from './rollback.js'
import type { RollbackOptions, RollbackReport, RollbackTrigger } from './rollback.js'
import { sessionSink } from './sink.js'

export interface SessionRollbackOptions {
  readonly store: Store
  readonly dataDir: string
  /** Path of the online-learning freeze file. */
  readonly freezeFile: string
  readonly notifier?: (alert: Alert) => unknown
  /** The session's clock (default: the wall clock). */
  readonly now?: () => number
  readonly registryRoot?: string
}

/** Arguments of the `rollback` control command, checked. */
export function rollbackArgs(args: Readonly<Record<string, unknown>>): { reason: string; trigger: RollbackTrigger; extra: Partial<RollbackOptions> } | { error: string } {
  const reason = typeof args['reason'] === 'string' ? args['reason'].trim() : ''
  if (reason === '') return { error: 'rollback: a reason is required' }
  const trigger = args['trigger'] ?? 'operator'
  if (typeof trigger !== 'string' || !(ROLLBACK_TRIGGERS as readonly string[]).includes(trigger)) return { error: `rollback: trigger must be one of ${ROLLBACK_TRIGGERS.join(', ')}` }
  const target = args['targetVersion']
  if (target !== undefined && typeof target !== 'string') return { error: 'rollback: targetVersion must be a string' }
  const strategies = args['strategies']
  if (strategies !== undefined && !(Array.isArray(strategies) && strategies.every((s) => typeof s === 'string'))) {
    return { error: 'rollback: strategies must be a list of strategy names' }
  }
  return {
    reason,
    trigger: trigger as RollbackTrigger,
    extra: { ...(target !== undefined ? { targetVersion: target } : {}), ...(strategies !== undefined ? { strategies: strategies as string[] } : {}) },
  }
}

export interface SessionRollback {
  /** The automatic triggers (critical alert, KILL_SWITCH file, failed canary criterion). */
  readonly hooks: RollbackHooks
  /** Called after every rollback of the session, whatever started it. */
  onCompleted(listener: (report: RollbackReport) => void): void
}

/**
 * Installs the rollback in `trader` (which must have a store). The `rollback` control command is answered
 * with the rollback's report.
 */
export function attachSessionRollback(trader: Trader, o: SessionRollbackOptions): SessionRollback {
  const persistence = trader.persistence
  if (persistence === undefined) throw new Error('attachSessionRollback: the session has no store')
  const sink = sessionSink(o.store, persistence, o.now ?? Date.now)
  let running: Promise<RollbackReport> | undefined
  const listeners: ((report: RollbackReport) => void)[] = []
  const run = (trigger: RollbackTrigger, reason: string, actor: string, extra?: Partial<RollbackOptions>): Promise<RollbackReport> => {
    running = executeRollback({
      sink,
      safety: sessionSafety(trader),
      reason,
      trigger,
      actor,
      dataDir: o.dataDir,
      freezeFile: o.freezeFile,
      ...(o.notifier !== undefined ? { notifier: o.notifier } : {}),
      ...(o.registryRoot !== undefined ? { registryRoot: o.registryRoot } : {}),
      ...extra,
    })
      .then((report) => {
        for (const listener of listeners) listener(report)
        return report
      })
      .finally(() => {
        running = undefined
      })
    return running
  }
  const hooks = new RollbackHooks((trigger, reason, extra) => (running !== undefined ? running : run(trigger, reason, 'system', extra)))
  trader.safety.setRollbackHandler(async (request): Promise<CommandOutcome<'rollback'>> => {
    const parsed = rollbackArgs(request.args)
    if ('error' in parsed) return { ok: false, error: parsed.error }
    if (running !== undefined) return { ok: false, error: 'rollback: a rollback is already running in this session' }
    const report = await run(parsed.trigger, parsed.reason, request.actor, parsed.extra)
    return { ok: true, result: report }
  })
  return { hooks, onCompleted: (listener) => void listeners.push(listener) }
}

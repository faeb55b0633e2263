/**
 * @module cli/commands/rollback
 * `sofia rollback [--reason R] [--target-version V] [--strategy S] [--dry-run] [--status]`: halt, kill
 * switch (trigger rollback), switch to last_good, freeze online learning, position override 0.1, notify,
 * incident record. `--dry-run` lists every step and changes nothing; `--status` shows the last rollback
 * and incident. Exit 1 when a step failed.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { createMetrics, createNotifierHub, loadAlertConfig } from '../../observability/index.js'
import type { Alert } from '../../observability/index.js'
import { WallClock } from '../../engine/index.js'
import { FREEZE_FILE, ROLLBACK_LAST_KEY, attachSessionRollback, consoleSafety, executeRollback, lastIncident, storeSafety } from '../../ops/canary/index.js'
import type { RollbackReport, RollbackTrigger, SafetyActions, SessionRollback } from '../../ops/canary/index.js'
import type { Store } from '../../store/index.js'
import { OperatorConsole, liveSession } from '../../system/index.js'
import type { Trader } from '../../system/index.js'
import { EXIT_PROBLEM } from '../exit.js'
import { actorOf, addOperatorOptions } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { sessionConfig } from '../session-config.js'
import { dataDirOf, openStoreFromFlags } from '../store-option.js'
import { cliSink } from './registry.js'

interface Flags extends OperatorFlags {
  reason?: string
  targetVersion?: string
  strategy?: string
  dryRun?: boolean
  status?: boolean
}

/** How long `sofia rollback` waits for a running session to finish every step (incident timeline included). */
const SESSION_ROLLBACK_TIMEOUT_MS = 60_000

/** A running session answered a rollback with an error (exit 1: nothing was rolled back by this command). */
export class SessionRefused extends Error {}

/** The configured notifiers (config/alerts.yaml) as a hook, or undefined when none are configured. */
export async function notifierFromConfig(): Promise<{ notify: (alert: Alert) => Promise<void>; close: () => Promise<void> } | undefined> {
  const config = await loadAlertConfig({ registry: createMetrics({ processMetrics: false }).registry, cwd: process.cwd() }).catch(() => undefined)
  if (config === undefined) return undefined
  const hub = createNotifierHub(config.notifiers)
  if (hub.entries.length === 0) return undefined
  return {
    notify: async (alert) => {
      hub.notify(alert)
      await hub.drain()
    },
    close: () => hub.close(5_000),
  }
}

/**
 * The rollback procedure of a session the CLI starts (paper, run): `sofia rollback` from another process
 * reaches it through the control channel, and when the registry has a deployment (a last_good version) the
 * KILL_SWITCH file rolls back on its own. `attach` once the trader exists; `close` when the session ends.
 */
export async function prepareSessionRollback(flags: { dataDir?: string }, store: Store): Promise<{ attach: (trader: Trader) => SessionRollback; close: () => Promise<void> }> {
  const notifier = await notifierFromConfig()
  const deployed = (await store.loadStrategyVersions()).some((v) => v.status === 'last_good')
  let stopWatch: (() => void) | undefined
  return {
    attach: (trader) => {
      const rollback = attachSessionRollback(trader, {
        store,
        dataDir: dataDirOf(flags),
        freezeFile: resolve(FREEZE_FILE),
        ...(notifier !== undefined ? { notifier: notifier.notify } : {}),
      })
      if (deployed) stopWatch = rollback.hooks.watchKillSwitch(trader.safety.killSwitch, new WallClock())
      return rollback
    },
    close: async () => {
      stopWatch?.()
      await notifier?.close()
    },
  }
}

export function formatRollback(r: RollbackReport): string {
  const head = r.dryRun ? `rollback DRY RUN (${r.trigger}): nothing was changed` : `rollback (${r.trigger}) at ${new Date(r.at).toISOString()} by ${r.actor}: ${r.ok ? 'done' : 'FINISHED WITH FAILURES'}`
  return [head, `reason: ${r.reason}`, ...r.steps.map((s, i) => `  ${i + 1}. ${s.ok ? 'ok  ' : 'FAIL'} ${s.step.padEnd(18)} ${s.detail}`), ...(r.incident !== undefined ? [`incident ${r.incident.id}: ${r.incident.md}`] : [])].join('\n')
}

/** Runs a rollback from the CLI (also used by `sofia canary rollback`). */
export async function cliRollback(flags: Flags, trigger: RollbackTrigger, extra: { reason: string }): Promise<RollbackReport> {
  const { config } = await sessionConfig(flags)
  const store = await openStoreFromFlags(flags, { create: false })
  const notifier = flags.dryRun === true ? undefined : await notifierFromConfig()
  try {
    const session = await liveSession(store)
    if (session !== undefined && flags.dryRun !== true) {
      // The running session owns the audit chain: it carries out (and audits) every step itself.
      const args = {
        reason: extra.reason,
        trigger,
        ...(flags.targetVersion !== undefined ? { targetVersion: flags.targetVersion } : {}),
        ...(flags.strategy !== undefined ? { strategies: [flags.strategy] } : {}),
      }
      const r = await new OperatorConsole(store, config.risk.killSwitch).execute('rollback', args, actorOf(flags), SESSION_ROLLBACK_TIMEOUT_MS)
      if (!r.ok) throw new SessionRefused(`rollback: the running session (pid ${session.pid}, ${session.mode}) did not roll back: ${r.error ?? 'refused'}`)
      return r.result as RollbackReport
    }
    const safety: SafetyActions = session === undefined ? storeSafety(store, config.risk.killSwitch) : consoleSafety(new OperatorConsole(store, config.risk.killSwitch))
    return await executeRollback({
      sink: await cliSink(store),
      safety,
      reason: extra.reason,
      trigger,
      actor: actorOf(flags),
      dataDir: dataDirOf(flags),
      freezeFile: resolve(FREEZE_FILE),
      dryRun: flags.dryRun === true,
      ...(flags.strategy !== undefined ? { strategies: [flags.strategy] } : {}),
      ...(flags.targetVersion !== undefined ? { targetVersion: flags.targetVersion } : {}),
      ...(notifier !== undefined ? { notifier: notifier.notify } : {}),
    })
  } finally {
    await notifier?.close()
    await store.close()
  }
}

export function registerRollback(program: Command): void {
  addOperatorOptions(
    program
      .command('rollback')
      .summary('halt, kill switch, back to last_good, freeze learning, size 10%, notify, incident record')
      .option('--reason <text>', 'why (required unless --dry-run or --status)')
      .option('--target-version <id>', 'roll back to this version instead of last_good')
      .option('--strategy <name>', 'only this strategy (default: every strategy with an active version)')
      .option('--dry-run', 'list every step; change nothing')
      .option('--status', 'show the last rollback and incident'),
  ).action(async (flags: Flags) => {
    if (flags.status === true) {
      const store = await openStoreFromFlags(flags, { create: false })
      try {
        const last = await store.getState<RollbackReport>(ROLLBACK_LAST_KEY)
        const incident = lastIncident(dataDirOf(flags))
        if (flags.json === true) process.stdout.write(`${JSON.stringify({ rollback: last ?? null, incident: incident?.record ?? null, incidentPath: incident?.path ?? null })}\n`)
        else {
          process.stdout.write(last === undefined || last === null ? 'no rollback recorded\n' : `${formatRollback(last)}\n`)
          if (incident !== undefined) process.stdout.write(`last incident: ${incident.record.id} (${incident.record.title}) ${incident.path}\n`)
        }
      } finally {
        await store.close()
      }
      return
    }
    if (flags.dryRun !== true && (flags.reason ?? '').trim() === '') throw new InputError('--reason is required (or --dry-run / --status)')
    let r: RollbackReport
    try {
      r = await cliRollback(flags, 'operator', { reason: flags.reason ?? '(dry run)' })
    } catch (error) {
      if (!(error instanceof SessionRefused)) throw error
      process.stderr.write(`${error.message}\n`)
      process.exitCode = EXIT_PROBLEM
      return
    }
    process.stdout.write(flags.json === true ? `${JSON.stringify(r)}\n` : `${formatRollback(r)}\n`)
    if (!r.ok) process.exitCode = EXIT_PROBLEM
  })
}

/**
 * @module cli/commands/canary
 * `sofia canary status|report|progress|start STAGE|run|rollback`. Stages come from config/canary.yaml
 * (default: the runbook's table). `run` walks a version through every stage in a backtest on recorded data
 * (the live leg a second simulator, `--live-extra-slippage-bps` to make it misbehave) and progresses or
 * rolls back on its own; status, report and progress read what the orchestrator recorded in the store.
 */
import { resolveStrategyFlags } from '../session-config.js'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { CANARY_STATE_KEY, FREEZE_FILE, StrategyRegistry, loadCanaryConfig, runCanaryBacktest, stageIndex, storeSink } from '../../ops/canary/index.js'
import type { AuditEntry, CanaryConfig, CanaryState, RegisteredVersion, StageEvaluation } from '../../ops/canary/index.js'
import type { Store } from '../../store/index.js'
import { collect, keyValues, parseNonNegativeNumber } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { actorOf, addOperatorOptions } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { dataDirOf, openStoreFromFlags } from '../store-option.js'
import { cliSink } from './registry.js'
import { cliRollback, formatRollback, notifierFromConfig } from './rollback.js'

interface Flags extends OperatorFlags {
  canaryConfig?: string
  strategy?: string
  strategyVersion?: string
  data?: string[]
  param?: string[]
  balance?: string[]
  slippageBps?: string
  liveExtraSlippageBps?: string
  liveExtraLatencyMs?: string
  reason?: string
}

const configOf = (flags: Flags): CanaryConfig => loadCanaryConfig(flags.canaryConfig !== undefined ? { file: flags.canaryConfig } : {})
const withCanaryConfig = (cmd: Command): Command => addOperatorOptions(cmd).option('--canary-config <file>', 'stages file (default config/canary.yaml, else the runbook table)')

async function readState(flags: Flags): Promise<CanaryState | undefined> {
  const store = await openStoreFromFlags(flags, { create: false })
  try {
    return (await store.getState<CanaryState>(CANARY_STATE_KEY)) ?? undefined
  } finally {
    await store.close()
  }
}

const days = (ms: number): string => `${(ms / 86_400_000).toFixed(2)}d`

export function formatProgress(e: StageEvaluation): string {
  return [
    `stage ${e.stage} after ${days(e.elapsedMs)} (at ${new Date(e.at).toISOString()}): decision ${e.decision.toUpperCase()}`,
    ...e.criteria.map((c) => `  ${c.status.toUpperCase().padEnd(7)} ${c.name.padEnd(16)} ${c.measured.padEnd(28)} needs ${c.threshold}${c.detail !== undefined ? `  (${c.detail})` : ''}`),
  ].join('\n')
}

function formatStatus(s: CanaryState, config: CanaryConfig): string {
  const i = config.stages.findIndex((x) => x.name === s.stage)
  const stage = config.stages[i]
  const at = s.lastEvaluation?.at ?? s.stageStartedAt
  return [
    `canary ${s.strategy} ${s.version}: ${s.status.toUpperCase()} in stage ${s.stage} (${i + 1}/${config.stages.length}, ${stage?.capitalPct ?? '?'}% capital) since ${new Date(s.stageStartedAt).toISOString()}`,
    `  time in stage ${days(at - s.stageStartedAt)} of ${stage?.minDurationMs === undefined ? 'ongoing' : days(stage.minDurationMs)}`,
    ...(s.rollbackReason !== undefined ? [`  rolled back: ${s.rollbackReason}`] : []),
  ].join('\n')
}

async function writeState(store: Store, state: CanaryState, record: AuditEntry): Promise<void> {
  await (await cliSink(store)).commit({ state: [{ key: CANARY_STATE_KEY, value: state }] }, [record])
}

export function registerCanary(program: Command): void {
  const canary = program.command('canary').summary('staged roll-out: shadow → canary-1 → canary-2 → production, automatic rollback')

  withCanaryConfig(canary.command('status').summary('the roll-out stage and how long it has run')).action(async (flags: Flags) => {
    const s = await readState(flags)
    if (flags.json === true) process.stdout.write(`${JSON.stringify(s ?? null)}\n`)
    else process.stdout.write(s === undefined ? 'no canary roll-out recorded\n' : `${formatStatus(s, configOf(flags))}\n`)
  })

  withCanaryConfig(canary.command('report').summary('every stage of the roll-out with its criteria')).action(async (flags: Flags) => {
    const s = await readState(flags)
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(s ?? null)}\n`)
      return
    }
    if (s === undefined) {
      process.stdout.write('no canary roll-out recorded\n')
      return
    }
    const out = [formatStatus(s, configOf(flags))]
    for (const h of s.history) {
      out.push(`${h.stage}: ${new Date(h.startedAt).toISOString()} → ${new Date(h.endedAt).toISOString()} ${h.outcome}${h.failed !== undefined && h.failed.length > 0 ? ` (failed: ${h.failed.join(', ')})` : ''}`)
      for (const c of h.criteria ?? []) out.push(`  ${c.status.toUpperCase().padEnd(7)} ${c.name.padEnd(16)} ${c.measured} (needs ${c.threshold})`)
    }
    process.stdout.write(`${out.join('\n')}\n`)
  })

  withCanaryConfig(canary.command('progress').summary('each acceptance criterion of the stage: measured value, threshold, pass/fail')).action(async (flags: Flags) => {
    const s = await readState(flags)
    const e = s?.lastEvaluation
    if (flags.json === true) process.stdout.write(`${JSON.stringify(e ?? null)}\n`)
    else process.stdout.write(e === undefined ? 'no evaluation recorded yet\n' : `${formatProgress(e)}\n`)
    if (e !== undefined && e.failed.length > 0) process.exitCode = EXIT_PROBLEM
  })

  withCanaryConfig(
    canary
      .command('start')
      .summary('begin (or move) a roll-out at STAGE')
      .argument('<stage>', 'stage name from the stages file (the runbook spelling canary_1 is canary-1)')
      .requiredOption('--strategy <name>', 'strategy')
      .requiredOption('--strategy-version <id>', 'registered version')
      .option('--reason <text>', 'why (audited)'),
  ).action(async (stageName: string, flags: Flags) => {
    const config = configOf(flags)
    stageName = config.stages[stageIndex(config, stageName)]!.name // the runbook's canary_1 is recorded as canary-1
    const [strategy] = await resolveStrategyFlags([flags.strategy!], {})
    const store = await openStoreFromFlags(flags, { create: false })
    try {
      const prev = (await store.getState<CanaryState>(CANARY_STATE_KEY)) ?? undefined
      const now = Date.now()
      const state: CanaryState = {
        strategy: strategy!,
        version: flags.strategyVersion!,
        status: 'running',
        stage: stageName,
        stageStartedAt: now,
        startedAt: prev !== undefined && prev.status === 'running' ? prev.startedAt : now,
        history: prev !== undefined && prev.status === 'running' ? [...prev.history, { stage: prev.stage, startedAt: prev.stageStartedAt, endedAt: now, outcome: 'replaced' }] : [],
      }
      await writeState(store, state, { type: 'canary.stage_started', actor: actorOf(flags), payload: { strategy: state.strategy, version: state.version, stage: stageName, from: prev?.stage ?? null, reason: flags.reason ?? '' } })
      process.stdout.write(flags.json === true ? `${JSON.stringify(state)}\n` : `${formatStatus(state, config)}\n`)
    } finally {
      await store.close()
    }
  })

  withCanaryConfig(
    canary
      .command('run')
      .summary('run the roll-out in a backtest on recorded data: progress or roll back automatically (exit 1 on rollback)')
      .requiredOption('--strategy <name>', 'strategy')
      .requiredOption('--strategy-version <id>', 'version being rolled out (a registered one runs with its parameters and code)')
      .requiredOption('--data <path...>', 'recorded market data files')
      .option('--param <key=value>', 'strategy parameter (repeatable)', collect, [])
      .option('--balance <asset=amount>', 'starting balance (repeatable)', collect, [])
      .option('--slippage-bps <n>', 'simulator slippage (default 5)')
      .option('--live-extra-slippage-bps <n>', 'extra slippage of the live leg (default 0)')
      .option('--live-extra-latency-ms <n>', 'extra latency of the live leg (default 0)'),
  ).action(async (flags: Flags) => {
    const config = configOf(flags)
    const [strategy] = await resolveStrategyFlags([flags.strategy!], {})
    const store = await openStoreFromFlags(flags, { create: true })
    const notifier = await notifierFromConfig()
    try {
      // A registered version runs as registered: its parameters (over --param) and its code. An unregistered
      // one is a label for the run.
      const registered = (await store.loadStrategyVersions(strategy!)).find((v) => v.version === flags.strategyVersion) as RegisteredVersion | undefined
      const params = { ...keyValues('--param', flags.param ?? []), ...(registered?.params ?? {}) }
      const definition = registered !== undefined ? await new StrategyRegistry(storeSink(store)).definitionOf(registered) : undefined
      const r = await runCanaryBacktest({
        data: flags.data ?? [],
        strategy: { name: strategy!, params },
        ...(definition !== undefined ? { definition } : {}),
        version: flags.strategyVersion!,
        config,
        store,
        dataDir: dataDirOf(flags),
        freezeFile: resolve(FREEZE_FILE),
        slippageBps: parseNonNegativeNumber('--slippage-bps', flags.slippageBps ?? '5'),
        liveExtraSlippageBps: parseNonNegativeNumber('--live-extra-slippage-bps', flags.liveExtraSlippageBps ?? '0'),
        liveExtraLatencyMs: parseNonNegativeNumber('--live-extra-latency-ms', flags.liveExtraLatencyMs ?? '0'),
        ...((flags.balance ?? []).length > 0 ? { balances: keyValues('--balance', flags.balance ?? []) } : {}),
        ...(notifier !== undefined ? { notifier: notifier.notify } : {}),
      })
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ state: r.state ?? null, rollback: r.rollback ?? null })}\n`)
      else {
        if (r.state !== undefined) process.stdout.write(`${formatStatus(r.state, config)}\n`)
        for (const h of r.state?.history ?? []) process.stdout.write(`  ${h.stage}: ${h.outcome}${h.failed !== undefined && h.failed.length > 0 ? ` (${h.failed.join(', ')})` : ''}\n`)
        if (r.rollback !== undefined) process.stdout.write(`${formatRollback(r.rollback)}\n`)
      }
      if (r.state?.status === 'rolled_back') process.exitCode = EXIT_PROBLEM
    } finally {
      await notifier?.close()
      await store.close()
    }
  })

  withCanaryConfig(
    canary
      .command('rollback')
      .summary('abort the roll-out: the full rollback procedure (see sofia rollback)')
      .requiredOption('--reason <text>', 'why')
      .option('--dry-run', 'list every step; change nothing'),
  ).action(async (flags: Flags & { dryRun?: boolean }) => {
    const s = await readState(flags)
    if (s === undefined || s.status !== 'running') throw new InputError('no canary roll-out is running')
    const r = await cliRollback({ ...flags, strategy: s.strategy }, 'canary', { reason: flags.reason ?? '' })
    if (r.dryRun !== true) {
      const store = await openStoreFromFlags(flags, { create: false })
      try {
        const now = Date.now()
        await writeState(
          store,
          { ...s, status: 'rolled_back', rollbackReason: flags.reason ?? '', history: [...s.history, { stage: s.stage, startedAt: s.stageStartedAt, endedAt: now, outcome: 'rolled_back' }] },
          { type: 'canary.failed', actor: actorOf(flags), payload: { strategy: s.strategy, version: s.version, stage: s.stage, reason: flags.reason ?? '', failed: ['operator'] } },
        )
      } finally {
        await store.close()
      }
    }
    process.stdout.write(flags.json === true ? `${JSON.stringify(r)}\n` : `${formatRollback(r)}\n`)
    if (!r.ok) process.exitCode = EXIT_PROBLEM
  })
}

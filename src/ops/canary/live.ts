/**
 * @module ops/canary/live
 * The canary orchestrator inside a session on an exchange (`sofia run`). When the store holds a running
 * roll-out (`sofia canary start STAGE --strategy S --strategy-version V`) of a strategy the session runs,
 * the session takes it over:
 *
 * - the strategy runs the rolled-out version's registered parameters (on top of the session's own) and its
 *   registered code (a user file edited since runs as registered, from the copy in the store): its
 *   instance is re-created with them when the roll-out is taken over (audited `strategy.version_applied`),
 *   and re-created with the registry's active version (last_good after a registry rollback; else the
 *   session's own parameters) when the roll-out is rolled back;
 * - each stage is put into effect through the mode router: 0% → shadow, 0–100% → canary sending that share
 *   of each intent to the exchange with the full intent in shadow beside it, 100% → live (the shadow twin
 *   still runs beside it, so production is compared with simulation too);
 * - the criteria are judged every `evaluate_every` of wall time against the session's two legs;
 * - the roll-out progresses, or rolls back through the session's rollback procedure (trigger `canary`).
 *
 * The store is watched every ROLLOUT_POLL_MS (5 s): a roll-out ended outside the session (`sofia canary
 * rollback`, `sofia rollback`) stops the evaluation; a stage an operator jumps to with `sofia canary start` is
 * put into effect; a roll-out of another version replaces the one taken over.
 */
import type { Store } from '../../store/index.js'
import { createStrategy, instantiateStrategy } from '../../strategy/index.js'
import type { StrategyDefinition } from '../../strategy/index.js'
import type { ExchangeSession, RouterMode, StrategySpec } from '../../system/index.js'
import { attachToRouter } from './metrics-source.js'
import { CANARY_STATE_KEY, CanaryOrchestrator } from './orchestrator.js'
import type { CanaryState } from './orchestrator.js'
import { StrategyRegistry } from './registry.js'
import type { SessionRollback } from './session-rollback.js'
import { sessionSink } from './sink.js'
import type { CanaryConfig, StageSpec } from './stages.js'

export interface LiveCanaryOptions {
  readonly session: ExchangeSession
  readonly store: Store
  readonly config: CanaryConfig
  readonly rollback: SessionRollback
  /** Names of the strategies the session runs. */
  readonly strategies: readonly string[]
  /** The session's own parameters of each strategy (`--strategy`/`--param`): a version's params go on top. */
  readonly specs?: readonly StrategySpec[]
  readonly log?: (line: string) => void
}

export interface LiveCanary {
  /** The orchestrator of the roll-out taken over, or of the last one once it ended (undefined before any). */
  readonly orchestrator: CanaryOrchestrator | undefined
  /** A critical alert from elsewhere (the alert engine), counted against the current stage. */
  reportAlert(at: number, text: string): void
  /** Stops evaluating (the session ends). */
  stop(): void
}

/** How often a session without a roll-out looks for one started with `sofia canary start`. */
export const ROLLOUT_POLL_MS = 5_000

/** The router mode that puts a stage into effect. */
export function stageMode(stage: StageSpec): RouterMode {
  if (stage.capitalPct <= 0) return 'shadow'
  return stage.capitalPct >= 100 ? 'live' : 'canary'
}

const ACTOR = 'system:canary'

async function runningRollout(o: LiveCanaryOptions): Promise<CanaryState | undefined> {
  const state = await o.store.getState<CanaryState>(CANARY_STATE_KEY)
  return state !== undefined && state !== null && state.status === 'running' && o.strategies.includes(state.strategy) ? state : undefined
}

/**
 * Takes over the running roll-out of one of the session's strategies, now or (polling the store every
 * `pollMs`) as soon as one is started. Undefined for a session without a store.
 */
export async function attachLiveCanary(o: LiveCanaryOptions & { readonly pollMs?: number }): Promise<LiveCanary | undefined> {
  if (o.session.trader.persistence === undefined) return undefined
  const pollMs = o.pollMs ?? ROLLOUT_POLL_MS
  let current: ReturnType<typeof takeOverRollout> | undefined
  let last: ReturnType<typeof takeOverRollout> | undefined // the roll-out held last, for status once it ended
  let stopped = false
  let looking = false
  // One poller for the session's life: it takes over a roll-out when none is held, and otherwise lets the
  // held one follow the store (a stage jump, a rollback or a replacement done from the CLI).
  const poll = async (): Promise<void> => {
    if (current !== undefined) {
      if (await current.follow()) return
      current = undefined
    }
    const state = await runningRollout(o)
    if (state !== undefined && !stopped) current = last = takeOverRollout(o, state)
  }
  await poll()
  const poller = setInterval(() => {
    if (looking || stopped) return
    looking = true
    poll()
      .catch((error: unknown) => o.log?.(`canary: could not read the roll-out state: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (looking = false))
  }, pollMs)
  return {
    get orchestrator() {
      return (current ?? last)?.orchestrator
    },
    reportAlert: (at, text) => current?.reportAlert(at, text),
    stop: () => {
      stopped = true
      clearInterval(poller)
      current?.stop()
    },
  }
}

/** The runners of `strategy` in the session (`name`, or `name-2`… when it runs more than once). */
function runnersOf(session: ExchangeSession, strategy: string): ExchangeSession['trader']['runners'] {
  const mine = (id: string): boolean => id === strategy || (id.startsWith(`${strategy}-`) && /^\d+$/.test(id.slice(strategy.length + 1)))
  return session.trader.runners.filter((r) => mine(r.strategy.id))
}

/**
 * Re-creates every instance of `strategy` with `params` on top of the session's own, from `definition` (a
 * registered version's code; the session's own when undefined), and audits it. A parameter the strategy
 * refuses is logged and leaves the running instance as it is (the error is returned).
 */
function applyParams(
  o: LiveCanaryOptions,
  strategy: string,
  version: string | null,
  params: Readonly<Record<string, string>>,
  actor: string,
  reason: string,
  code?: { readonly definition: StrategyDefinition; readonly codeHash: string },
): string | undefined {
  const definition = code?.definition
  const base = o.specs?.find((x) => x.name === strategy)?.params ?? {}
  const merged = { ...base, ...params }
  const runners = runnersOf(o.session, strategy)
  try {
    const next = runners.map((r) => (definition !== undefined ? instantiateStrategy(definition, r.strategy.id, merged, version ?? undefined) : createStrategy(strategy, r.strategy.id, merged)))
    runners.forEach((r, i) => r.replace(next[i]!))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    o.log?.(`canary ${strategy} ${version ?? '(session)'}: parameters not applied: ${message}`)
    return message
  }
  o.session.trader.persistence?.audit('strategy.version_applied', actor, { strategy, version, params: merged, ...(code !== undefined ? { codeHash: code.codeHash } : {}), instances: runners.map((r) => r.strategy.id), reason })
  o.log?.(`canary ${strategy}: now running ${version ?? "the session's own parameters"} ${JSON.stringify(merged)} (${reason})`)
  return undefined
}

/** Takes over `state` now: resumes its stage and evaluates it on the wall clock. */
function takeOverRollout(
  o: LiveCanaryOptions,
  state: CanaryState,
): { orchestrator: CanaryOrchestrator; reportAlert(at: number, text: string): void; stop(): void; follow(): Promise<boolean> } {
  const { trader, router } = o.session
  const persistence = trader.persistence!
  const clock = trader.engine.clock
  const log = o.log ?? (() => undefined)
  const source = attachToRouter(router, trader)
  const sink = sessionSink(o.store, persistence, () => clock.now())
  const registry = new StrategyRegistry(sink)
  // The version the strategy runs from now on, its parameters and its code: every stage of the roll-out,
  // shadow included, is that version.
  // A version whose code cannot be had (its file edited, no copy kept) does not run: the roll-out rolls back.
  const versionApplied = registry
    .get(state.strategy, state.version)
    .then(async (v) => applyParams(o, state.strategy, v.version, v.params, ACTOR, `canary roll-out of ${v.version} taken over at stage ${state.stage}`, { definition: await registry.definitionOf(v), codeHash: v.codeHash }))
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error)
      log(`canary ${state.strategy} ${state.version}: ${message}`)
      return message
    })
  let ended = false
  const orchestrator: CanaryOrchestrator = new CanaryOrchestrator({
    config: o.config,
    source,
    clock,
    sink,
    strategy: state.strategy,
    version: state.version,
    actor: ACTOR,
    deployment: {
      apply: async (stage, actor) => {
        const notApplied = await versionApplied
        if (notApplied !== undefined) {
          orchestrator.rollback(`version ${state.version} cannot run: ${notApplied}`)
          return
        }
        const mode = stageMode(stage)
        if (mode === 'canary') router.setCanaryPercentage(stage.capitalPct, actor)
        const r = await o.session.command('mode.set', { mode }, actor)
        if (r.ok) {
          log(`canary ${state.strategy} ${state.version}: stage ${stage.name} in effect (mode ${mode}${mode === 'canary' ? ` at ${stage.capitalPct}%` : ''})`)
          return
        }
        log(`canary ${state.strategy} ${state.version}: stage ${stage.name} could not be put into effect: ${r.error ?? 'refused'}`)
        orchestrator.rollback(`stage ${stage.name} could not be put into effect (mode ${mode}): ${r.error ?? 'refused'}`)
      },
    },
    onRollback: (evaluation, reason) => {
      log(`canary ${state.strategy} ${state.version}: ${reason}; rolling back`)
      void o.rollback.hooks.onCanaryFailure(reason, {
        strategies: [state.strategy],
        incidentStart: evaluation.at - evaluation.elapsedMs,
        impact: { stage: evaluation.stage, failedCriteria: evaluation.failed, criteria: evaluation.criteria.map((c) => `${c.name}: ${c.status} (${c.measured} vs ${c.threshold})`) },
      })
    },
  })
  // A rollback started any other way ends the roll-out too (without running the procedure twice). Either
  // way the strategy goes back to the registry's active version: the procedure has just switched it to
  // last_good (without one, the session's own parameters).
  o.rollback.onCompleted((report) => {
    if (ended) return
    if (orchestrator.state?.status === 'running') orchestrator.rollback(`rolled back (${report.trigger}) by ${report.actor}: ${report.reason}`, undefined, report.actor, false)
    ended = true
    void registry
      .active(state.strategy)
      .then(async (active) =>
        applyParams(o, state.strategy, active?.version ?? null, active?.params ?? {}, report.actor, `rollback (${report.trigger}): ${report.reason}`, active !== undefined ? { definition: await registry.definitionOf(active), codeHash: active.codeHash } : undefined),
      )
      .catch((error: unknown) => log(`canary ${state.strategy}: could not read the registry after the rollback: ${error instanceof Error ? error.message : String(error)}`))
  })

  let timers: NodeJS.Timeout[] = []
  const stop = (): void => {
    for (const t of timers) clearInterval(t)
    timers = []
    orchestrator.stop()
  }
  let busy = false
  const evaluate = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      await orchestrator.flush()
      if (orchestrator.state?.status !== 'running') return stop()
      orchestrator.step()
      if (orchestrator.state?.status !== 'running') stop()
    } catch (error) {
      log(`canary: evaluation failed: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      busy = false
    }
  }
  /** Follows the store (every poll): false once this roll-out is over here (ended, or replaced by another). */
  const follow = async (): Promise<boolean> => {
    if (busy) return true
    busy = true
    try {
      await orchestrator.flush()
      const mine = orchestrator.state
      if (mine === undefined || mine.status !== 'running') {
        stop()
        return false
      }
      const stored = await o.store.getState<CanaryState>(CANARY_STATE_KEY)
      if (stored === undefined || stored === null || stored.status !== 'running' || stored.strategy !== mine.strategy || stored.version !== mine.version) {
        log(`canary ${mine.strategy} ${mine.version}: the roll-out was ended or replaced outside this session; no longer evaluating`)
        ended = true // what runs next is for whoever ended or replaced it
        stop()
        return false
      }
      if (stored.stage !== mine.stage || stored.stageStartedAt !== mine.stageStartedAt) orchestrator.resume(stored, 'operator')
      return true
    } finally {
      busy = false
    }
  }
  orchestrator.resume(state, ACTOR)
  const every = o.config.evaluateEveryMs
  timers = [
    setInterval(() => source.sample(clock.now()), Math.max(250, Math.min(60_000, Math.floor(every / 12)))),
    setInterval(() => void evaluate(), every),
  ]
  return { orchestrator, reportAlert: (at, text) => source.reportAlert(at, text), stop, follow }
}

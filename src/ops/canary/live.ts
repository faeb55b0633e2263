/**
 * @module ops/canary/live
 * The canary orchestrator inside a session on an exchange (`sofia run`). When the store holds a running
 * roll-out (`sofia canary start STAGE --strategy S --strategy-version V`) of a strategy the session runs,
 * the session takes it over:
 *
 * - each stage is put into effect through the mode router: 0% → shadow, 0–100% → canary sending that share
 *   of each intent to the exchange with the full intent in shadow beside it, 100% → live (the shadow twin
 *   still runs beside it, so production is compared with simulation too);
 * - the criteria are judged every `evaluate_every` of wall time against the session's two legs;
 * - the roll-out progresses, or rolls back through the session's rollback procedure (trigger `canary`).
 *
 * A roll-out ended outside the session (`sofia canary rollback`, `sofia rollback`) stops the evaluation; a
 * stage an operator jumps to with `sofia canary start` is taken over at the next evaluation.
 */
import type { Store } from '../../store/index.js'
import type { ExchangeSession, RouterMode } from '../../system/index.js'
import { attachToRouter } from './metrics-source.js'
import { CANARY_STATE_KEY, CanaryOrchestrator } from './orchestrator.js'
import type { CanaryState } from './orchestrator.js'
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
  readonly log?: (line: string) => void
}

export interface LiveCanary {
  /** The orchestrator of the roll-out taken over (undefined while the session waits for one). */
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
  let current: ReturnType<typeof takeOverRollout> | undefined
  let stopped = false
  let poller: NodeJS.Timeout | undefined
  const takeOver = (state: CanaryState): void => {
    if (stopped || current !== undefined) return
    current = takeOverRollout(o, state)
    if (poller !== undefined) clearInterval(poller)
  }
  const now = await runningRollout(o)
  if (now !== undefined) takeOver(now)
  else {
    let looking = false
    poller = setInterval(() => {
      if (looking) return
      looking = true
      runningRollout(o)
        .then((state) => state !== undefined && takeOver(state))
        .catch((error: unknown) => o.log?.(`canary: could not read the roll-out state: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (looking = false))
    }, o.pollMs ?? ROLLOUT_POLL_MS)
  }
  return {
    get orchestrator() {
      return current?.orchestrator
    },
    reportAlert: (at, text) => current?.reportAlert(at, text),
    stop: () => {
      stopped = true
      if (poller !== undefined) clearInterval(poller)
      current?.stop()
    },
  }
}

/** Takes over `state` now: resumes its stage and evaluates it on the wall clock. */
function takeOverRollout(o: LiveCanaryOptions, state: CanaryState): { orchestrator: CanaryOrchestrator; reportAlert(at: number, text: string): void; stop(): void } {
  const { trader, router } = o.session
  const persistence = trader.persistence!
  const clock = trader.engine.clock
  const log = o.log ?? (() => undefined)
  const source = attachToRouter(router, trader)
  const orchestrator: CanaryOrchestrator = new CanaryOrchestrator({
    config: o.config,
    source,
    clock,
    sink: sessionSink(o.store, persistence, () => clock.now()),
    strategy: state.strategy,
    version: state.version,
    actor: ACTOR,
    deployment: {
      apply: async (stage, actor) => {
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
  // A rollback started any other way ends the roll-out too (without running the procedure twice).
  o.rollback.onCompleted((report) => {
    if (orchestrator.state?.status === 'running') orchestrator.rollback(`rolled back (${report.trigger}) by ${report.actor}: ${report.reason}`, undefined, report.actor, false)
  })

  let timers: NodeJS.Timeout[] = []
  const stop = (): void => {
    for (const t of timers) clearInterval(t)
    timers = []
    orchestrator.stop()
  }
  let busy = false
  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      await orchestrator.flush()
      const mine = orchestrator.state
      if (mine === undefined || mine.status !== 'running') return stop()
      const stored = await o.store.getState<CanaryState>(CANARY_STATE_KEY)
      if (stored === undefined || stored === null || stored.status !== 'running' || stored.strategy !== mine.strategy || stored.version !== mine.version) {
        log(`canary ${mine.strategy} ${mine.version}: the roll-out was ended or replaced outside this session; no longer evaluating`)
        return stop()
      }
      if (stored.stage !== mine.stage || stored.stageStartedAt !== mine.stageStartedAt) {
        orchestrator.resume(stored, 'operator')
        return
      }
      orchestrator.step()
      if (orchestrator.state?.status !== 'running') stop()
    } catch (error) {
      log(`canary: evaluation failed: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      busy = false
    }
  }
  orchestrator.resume(state, ACTOR)
  const every = o.config.evaluateEveryMs
  timers = [
    setInterval(() => source.sample(clock.now()), Math.max(250, Math.min(60_000, Math.floor(every / 12)))),
    setInterval(() => void tick(), every),
  ]
  return { orchestrator, reportAlert: (at, text) => source.reportAlert(at, text), stop }
}

/**
 * @module ops/canary/orchestrator
 * The canary orchestrator: walks a strategy version through the roll-out stages (config/canary.yaml) on the
 * ENGINE clock, so a whole roll-out runs in a backtest in seconds. It reads stage metrics from a
 * CanaryMetricsSource, judges the acceptance criteria (criteria.ts), and on its own either progresses to the
 * next stage (applying it through the deployment port: mode and capital share) or rolls back (the rollback
 * hook). Its state — stage, when it began, history, the last evaluation — is kept in the store under
 * `canary.state` for `sofia canary status|report|progress`; every stage change is audited.
 */
import type { Clock } from '../../engine/index.js'
import { InputError } from '../../model/index.js'
import type { Criterion, CriterionName, StageEvaluation } from './criteria.js'
import { decide, evaluateCriteria } from './criteria.js'
import type { CanaryMetricsSource } from './metrics-source.js'
import type { AuditEntry, AuditSink } from './sink.js'
import type { CanaryConfig, StageSpec } from './stages.js'
import { stageIndex } from './stages.js'

export const CANARY_STATE_KEY = 'canary.state'
export const CANARY_STATUSES = ['running', 'rolled_back', 'stopped'] as const
export type CanaryStatus = (typeof CANARY_STATUSES)[number]

export interface StageHistoryEntry {
  readonly stage: string
  readonly startedAt: number
  readonly endedAt: number
  readonly outcome: 'progressed' | 'rolled_back' | 'replaced'
  readonly failed?: readonly CriterionName[]
  readonly criteria?: readonly Criterion[]
}

export interface CanaryState {
  readonly strategy: string
  readonly version: string
  readonly status: CanaryStatus
  readonly stage: string
  readonly stageStartedAt: number
  readonly startedAt: number
  readonly history: readonly StageHistoryEntry[]
  readonly lastEvaluation?: StageEvaluation
  readonly rollbackReason?: string
}

/** How a stage is put into effect: the trading mode and the capital share on the exchange. */
export interface CanaryDeployment {
  apply(stage: StageSpec, actor: string): void | Promise<void>
}

export interface CanaryOrchestratorOptions {
  readonly config: CanaryConfig
  readonly source: CanaryMetricsSource
  readonly clock: Clock
  readonly sink: AuditSink
  readonly strategy: string
  readonly version: string
  readonly deployment?: CanaryDeployment
  /** Called once when a criterion fails: runs the rollback (see RollbackHooks.onCanaryFailure). */
  readonly onRollback?: (evaluation: StageEvaluation, reason: string) => unknown
  readonly actor?: string
  /** How often drawdown is sampled between evaluations (default evaluate_every / 12). */
  readonly sampleEveryMs?: number
  readonly onEvaluation?: (evaluation: StageEvaluation) => void
}

export class CanaryOrchestrator {
  private current: CanaryState | undefined
  private cancelEval: (() => void) | undefined
  private cancelSample: (() => void) | undefined
  private writes: Promise<void> = Promise.resolve()
  private writeError: unknown
  readonly evaluations: StageEvaluation[] = []

  constructor(private readonly o: CanaryOrchestratorOptions) {}

  get state(): CanaryState | undefined {
    return this.current
  }

  private get actor(): string {
    return this.o.actor ?? 'system:canary'
  }

  private stageSpec(name: string): StageSpec {
    return this.o.config.stages[stageIndex(this.o.config, name)]!
  }

  /** Begins `stageName` now (a new roll-out, or a jump an operator asked for). */
  start(stageName: string, actor: string = this.actor): CanaryState {
    const stage = this.stageSpec(stageName)
    const now = this.o.clock.now()
    const prev = this.current
    const history = prev === undefined ? [] : [...prev.history, { stage: prev.stage, startedAt: prev.stageStartedAt, endedAt: now, outcome: 'replaced' as const }]
    this.current = { strategy: this.o.strategy, version: this.o.version, status: 'running', stage: stage.name, stageStartedAt: now, startedAt: prev?.startedAt ?? now, history }
    this.o.source.beginStage(stage, now)
    this.persist([{ type: 'canary.stage_started', actor, payload: { strategy: this.o.strategy, version: this.o.version, stage: stage.name, capitalPct: stage.capitalPct, from: prev?.stage ?? null } }])
    this.apply(stage, actor)
    return this.current
  }

  /**
   * Takes over a roll-out recorded in the store (a session that starts while one runs): the stage and when
   * it began are kept; the stage's metrics are measured from now, since what a previous session saw is gone.
   */
  resume(state: CanaryState, actor: string = this.actor): CanaryState {
    if (state.status !== 'running') throw new InputError(`canary ${state.strategy} ${state.version} is ${state.status}, not running`)
    const stage = this.stageSpec(state.stage)
    const now = this.o.clock.now()
    this.current = state
    this.o.source.beginStage(stage, now)
    this.persist([{ type: 'canary.resumed', actor, payload: { strategy: state.strategy, version: state.version, stage: stage.name, capitalPct: stage.capitalPct, stageStartedAt: state.stageStartedAt, metricsFrom: now } }])
    this.apply(stage, actor)
    return state
  }

  /** Judges the current stage now without acting. */
  evaluate(now: number = this.o.clock.now()): StageEvaluation {
    const s = this.current
    if (s === undefined) throw new InputError('no canary roll-out is running (start one with sofia canary start STAGE)')
    const i = stageIndex(this.o.config, s.stage)
    const stage = this.o.config.stages[i]!
    const criteria = evaluateCriteria(stage, this.o.config.criteria, this.o.source.metrics(now))
    const { decision, failed } = decide(stage, criteria, i === this.o.config.stages.length - 1)
    return { stage: stage.name, at: now, elapsedMs: now - s.stageStartedAt, criteria, decision, failed }
  }

  /** Evaluates and acts: progresses, rolls back, or holds. */
  step(now: number = this.o.clock.now()): StageEvaluation {
    const evaluation = this.evaluate(now)
    const s = this.current!
    if (s.status !== 'running') return evaluation
    this.evaluations.push(evaluation)
    this.o.onEvaluation?.(evaluation)
    this.current = { ...s, lastEvaluation: evaluation }
    if (evaluation.decision === 'progress') this.progress(evaluation)
    else if (evaluation.decision === 'rollback') this.rollback(`canary stage ${s.stage} failed: ${evaluation.failed.join(', ')}`, evaluation)
    else this.persist([])
    return evaluation
  }

  private progress(evaluation: StageEvaluation): void {
    const s = this.current!
    const i = stageIndex(this.o.config, s.stage)
    const next = this.o.config.stages[i + 1]
    if (next === undefined) return
    const now = evaluation.at
    this.current = {
      ...s,
      stage: next.name,
      stageStartedAt: now,
      history: [...s.history, { stage: s.stage, startedAt: s.stageStartedAt, endedAt: now, outcome: 'progressed', criteria: evaluation.criteria }],
    }
    this.o.source.beginStage(next, now)
    this.persist([{ type: 'canary.progressed', actor: this.actor, payload: { strategy: s.strategy, version: s.version, from: s.stage, to: next.name, capitalPct: next.capitalPct, criteria: evaluation.criteria.map((c) => ({ name: c.name, status: c.status, measured: c.measured })) } }])
    this.apply(next, this.actor)
  }

  /**
   * Ends the roll-out with a rollback (a failed criterion, or an operator's `canary rollback`). `runHook`
   * false: the rollback procedure already ran (an operator's), only the roll-out is ended.
   */
  rollback(reason: string, evaluation?: StageEvaluation, actor: string = this.actor, runHook = true): void {
    const s = this.current
    if (s === undefined || s.status !== 'running') return
    const now = this.o.clock.now()
    const ev = evaluation ?? this.evaluate(now)
    this.stop()
    this.current = {
      ...s,
      status: 'rolled_back',
      rollbackReason: reason,
      lastEvaluation: ev,
      history: [...s.history, { stage: s.stage, startedAt: s.stageStartedAt, endedAt: now, outcome: 'rolled_back', failed: ev.failed, criteria: ev.criteria }],
    }
    this.persist([{ type: 'canary.failed', actor, payload: { strategy: s.strategy, version: s.version, stage: s.stage, reason, failed: ev.failed, criteria: ev.criteria.map((c) => ({ name: c.name, status: c.status, measured: c.measured, threshold: c.threshold })) } }])
    if (runHook) this.o.onRollback?.(ev, reason)
  }

  /** Evaluates every `evaluate_every` of engine time (and samples drawdown in between) until stopped. */
  run(): void {
    const clock = this.o.clock
    const every = this.o.config.evaluateEveryMs
    const sampleEvery = this.o.sampleEveryMs ?? Math.max(1_000, Math.floor(every / 12))
    const sample = (now: number): void => {
      this.o.source.sample(now)
      this.cancelSample = clock.setTimer(now + sampleEvery, sample)
    }
    const tick = (now: number): void => {
      this.step(now)
      if (this.current?.status === 'running') this.cancelEval = clock.setTimer(now + every, tick)
    }
    this.cancelSample = clock.setTimer(clock.now() + sampleEvery, sample)
    this.cancelEval = clock.setTimer(clock.now() + every, tick)
  }

  stop(): void {
    this.cancelEval?.()
    this.cancelSample?.()
    this.cancelEval = undefined
    this.cancelSample = undefined
  }

  /** Waits for the state writes so far (raises the first that failed). */
  async flush(): Promise<void> {
    await this.writes
    if (this.writeError !== undefined) throw this.writeError as Error
  }

  private apply(stage: StageSpec, actor: string): void {
    const r = this.o.deployment?.apply(stage, actor)
    if (r instanceof Promise) this.track(r)
  }

  private persist(records: AuditEntry[]): void {
    const value = this.current
    const commit = (): Promise<void> => this.o.sink.commit({ state: [{ key: CANARY_STATE_KEY, value }] }, records)
    // A synchronous sink writes now (records get the engine time of the decision); others keep their order.
    this.track(this.o.sink.synchronous ? commit() : this.writes.then(commit))
  }

  private track(p: Promise<unknown>): void {
    const previous = this.writes
    this.writes = Promise.all([previous, p]).then(
      () => undefined,
      (error: unknown) => {
        this.writeError ??= error
      },
    )
  }
}

/**
 * @module api/routes/canary
 * `GET /canary/status` (viewer): the roll-out recorded in the store — the version, its stage among the
 * stages of config/canary.yaml (the runbook table without one), the criteria of the last evaluation with
 * their measured values and thresholds, and the history of the stages done. When none was ever started:
 * status `none`, with the stages a roll-out would go through and how to start one (a page that shows it
 * is not an error).
 * The dashboard's Canary page shows it.
 */
import type { FastifyInstance } from 'fastify'
import { CANARY_STATE_KEY, loadCanaryConfig } from '../../ops/canary/index.js'
import type { CanaryState, StageSpec } from '../../ops/canary/index.js'
import type { RouteContext } from '../context.js'
import { anyObject, errorResponses } from '../schemas.js'

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

export function canaryRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx.deps
  app.get(
    '/canary/status',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The canary roll-out: version, stage, criteria of the last evaluation (measured vs threshold), history',
        tags: ['canary'],
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async () => {
      const s = (await store.getState<CanaryState>(CANARY_STATE_KEY)) ?? undefined
      const config = loadCanaryConfig()
      const stage = (x: StageSpec) => ({
        name: x.name,
        capitalPct: x.capitalPct,
        minDurationMs: x.minDurationMs ?? null,
        maxDrawdownPct: x.maxDrawdownPct ?? null,
        pnlDeviationPct: x.pnlDeviationPct ?? null,
        current: x.name === s?.stage,
        done: s?.history.some((h) => h.stage === x.name && h.outcome === 'progressed') ?? false,
      })
      if (s === undefined) {
        return {
          status: 'none',
          message: 'no canary roll-out recorded (start one with sofia canary start STAGE --strategy S --strategy-version V)',
          stages: config.stages.map(stage),
          stagesSource: config.source,
        }
      }
      const e = s.lastEvaluation
      return {
        strategy: s.strategy,
        version: s.version,
        status: s.status,
        stage: s.stage,
        stageStartedAt: iso(s.stageStartedAt),
        startedAt: iso(s.startedAt),
        rollbackReason: s.rollbackReason ?? null,
        stages: config.stages.map(stage),
        evaluation: e === undefined ? null : { at: iso(e.at), stage: e.stage, decision: e.decision, failed: e.failed, criteria: e.criteria },
        history: s.history.map((h) => ({ stage: h.stage, startedAt: iso(h.startedAt), endedAt: iso(h.endedAt), outcome: h.outcome, failed: h.failed ?? [], criteria: h.criteria ?? [] })),
        stagesSource: config.source,
      }
    },
  )
}

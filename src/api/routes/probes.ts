/**
 * @module api/routes/probes
 * The open routes: `GET /health` (liveness with component checks), `GET /ready`, `GET /metrics` and the
 * OpenAPI document. /health answers 503 when a check fails; the kill switch is reported but never fails it
 * (a halted Sofia is alive and must stay reachable to be resumed).
 */
import type { FastifyInstance } from 'fastify'
import { refreshGauges } from '../../system/index.js'
import type { RouteContext } from '../context.js'

export interface HealthCheck {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

const checkSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
} as const

const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'failing'] },
    mode: { type: 'string' },
    uptimeMs: { type: 'integer' },
    checks: { type: 'array', items: checkSchema },
  },
} as const

/** The store probe, at most once a second (a probe at 2,000 req/s must not become 2,000 queries). */
function storeProbe(ctx: RouteContext): () => Promise<HealthCheck> {
  let last: { at: number; result: Promise<HealthCheck> } | undefined
  return () => {
    const now = Date.now()
    if (last !== undefined && now - last.at < 1_000) return last.result
    const started = performance.now()
    const result = ctx.deps.store.getState('session.epoch').then(
      () => ({ name: 'store', ok: true, detail: `${ctx.deps.store.kind} reachable in ${(performance.now() - started).toFixed(1)} ms` }),
      (error: unknown) => ({ name: 'store', ok: false, detail: `${ctx.deps.store.kind} unreachable: ${error instanceof Error ? error.message : String(error)}` }),
    )
    last = { at: now, result }
    return result
  }
}

export async function healthChecks(ctx: RouteContext, probe: () => Promise<HealthCheck>): Promise<HealthCheck[]> {
  const { trader } = ctx.deps.session
  const now = Date.now()
  const engineNow = trader.engine.clock.now()
  const running = ctx.deps.session.running()
  const checks: HealthCheck[] = [{ name: 'session', ok: running, detail: running ? `${ctx.deps.session.mode()} session running` : 'session not running' }, await probe()]

  const breakers = trader.safety.breakers.list(engineNow).filter((b) => b.key.startsWith('venue:'))
  const open = breakers.filter((b) => b.state !== 'closed')
  checks.push({
    name: 'venues',
    ok: open.length === 0,
    detail: open.length === 0 ? `${trader.venues.map((v) => v.id).join(', ')}: connected` : open.map((b) => `${b.key} ${b.state}`).join(', '),
  })

  const staleAfter = ctx.deps.feedStaleMs ?? 10_000
  const age = ctx.hub.lastMarketAt === 0 ? now - ctx.deps.session.startedAt : now - ctx.hub.lastMarketAt
  const criticalFeeds = trader.safety.monitors
    .evaluate(engineNow)
    .filter((m) => m.name === 'data_staleness' && m.level === 'critical')
    .map((m) => m.feed ?? '?')
  const fresh = age <= staleAfter && criticalFeeds.length === 0
  checks.push({
    name: 'feeds',
    ok: fresh,
    detail:
      criticalFeeds.length > 0
        ? `stale: ${criticalFeeds.join(', ')}`
        : ctx.hub.lastMarketAt === 0
          ? `no market event yet (${age} ms since start)`
          : `last market event ${age} ms ago`,
  })

  const ks = trader.safety.killSwitch
  const s = ks.state()
  checks.push({
    name: 'kill_switch',
    ok: true,
    detail: ks.active ? `ACTIVE (${s.trigger ?? 'config'} by ${s.actor ?? 'config'}): ${s.reason ?? `mode ${ks.configuredMode}`}` : `inactive (mode ${ks.configuredMode})`,
  })
  return checks
}

export function probeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const probe = storeProbe(ctx)

  app.get(
    '/health',
    {
      config: { access: 'open' },
      schema: {
        summary: 'Liveness with component checks (store, session, venues, feeds, kill switch); 503 when a check fails',
        tags: ['probes'],
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const checks = await healthChecks(ctx, probe)
      const ok = checks.every((c) => c.ok)
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'failing', mode: ctx.deps.session.mode(), uptimeMs: Date.now() - ctx.deps.session.startedAt, checks })
    },
  )

  const readySchema = {
    type: 'object',
    properties: { ready: { type: 'boolean' }, detail: { type: 'string' }, trading: { type: 'string' } },
  } as const
  app.get(
    '/ready',
    {
      config: { access: 'open' },
      schema: { summary: 'Ready to serve: the session recovered and runs, the store answers (200) — else 503', tags: ['probes'], response: { 200: readySchema, 503: readySchema } },
    },
    async (_request, reply) => {
      const store = await probe()
      const running = ctx.deps.session.running()
      const ready = running && store.ok
      const trading = ctx.deps.session.trader.safety.killSwitch.active ? 'halted' : 'active'
      return reply.status(ready ? 200 : 503).send({ ready, detail: !running ? 'session not running' : store.detail, trading })
    },
  )

  app.get(
    '/metrics',
    { config: { access: 'open' }, schema: { summary: 'Prometheus metrics (text format 0.0.4)', tags: ['probes'], produces: ['text/plain'] } },
    async (_request, reply) => {
      refreshGauges(ctx.deps.session.trader, ctx.deps.metrics)
      const text = await ctx.deps.metrics.registry.metrics()
      return reply.type(ctx.deps.metrics.registry.contentType).send(text)
    },
  )

  app.get('/openapi.json', { config: { access: 'open' }, schema: { hide: true } }, () => app.swagger())
}

/**
 * @module api/routes/operations
 * Runbook procedures and what other subsystems plug in: shadow/canary status and rollback, reconciliation,
 * end-of-day reports, the exchange feed, SLOs, alerts and (admin) the list of API tokens. A procedure not
 * wired into this server answers 501 NOT_AVAILABLE; one that makes no sense in the current mode, 409.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { actorOf } from '../auth.js'
import type { RouteContext } from '../context.js'
import type { Procedure } from '../deps.js'
import { ApiError } from '../errors.js'
import { anyObject, errorResponses, errorSchema, optionalReasonBody, procedureBody } from '../schemas.js'
import { listTokens } from '../tokens.js'

const procedureResponses = { 200: anyObject, ...errorResponses, 409: errorSchema, 501: errorSchema } as const

export function operationsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx
  // The mode is read per request: an exchange session's changes while it runs (sofia shadow promote|rollback).
  const deploymentOf = (mode: string): string | null => (mode === 'shadow' || mode === 'canary' || mode === 'live' || mode === 'testnet' ? mode : null)

  app.get(
    '/shadow/status',
    { config: { access: 'viewer' }, schema: { summary: 'Shadow/canary deployment status (mode, percentage, shadow orders, shadow vs live P&L)', tags: ['deployment'], response: { 200: anyObject, ...errorResponses } } },
    () => {
      const positionOverride = deps.session.trader.risk.positionOverride.snapshot()
      if (deps.session.deployment === undefined) {
        return {
          mode: deps.session.mode(),
          deployment: null,
          canaryPercentage: null,
          detail: `${deps.session.mode()} mode: orders go to the simulated exchange; there is no shadow or canary deployment`,
          positionOverride,
        }
      }
      const status = deps.session.deployment.status()
      const mode = typeof status['mode'] === 'string' ? status['mode'] : deps.session.mode()
      const deployment = deploymentOf(mode)
      return {
        ...status,
        mode,
        deployment,
        detail: deployment === null ? `${mode} mode on the exchange feed: orders go to the simulator; there is no shadow or canary deployment` : `running in ${mode} mode`,
        positionOverride,
      }
    },
  )

  app.post<{ Body: { reason?: string } | undefined }>(
    '/shadow/rollback',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Roll a canary or live deployment back to shadow: open orders cancelled, positions kept (operator); 409 otherwise',
        tags: ['deployment'],
        body: optionalReasonBody,
        response: procedureResponses,
      },
    },
    async (request) => {
      if (deps.session.deployment === undefined) throw new ApiError(409, 'CONFLICT', `not in canary or live mode (mode is ${deps.session.mode()}): nothing to roll back`)
      const r = await deps.session.deployment.rollback(request.body?.reason ?? '', actorOf(request))
      ctx.hub.checkChanges()
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused')
      return { ...(r.result as Record<string, unknown> | undefined), mode: deps.session.mode() }
    },
  )

  /** An operator procedure the server may not have wired (501, naming what is missing); the session is flushed first. */
  const procedure = (route: {
    readonly url: string
    readonly summary: string
    readonly tag: string
    readonly name: string
    readonly run: Procedure | undefined
    readonly unwired: string
  }): void => {
    const { name, run, unwired } = route
    app.post(
      route.url,
      { config: { access: 'operator' }, schema: { summary: route.summary, tags: [route.tag], body: procedureBody, response: procedureResponses } },
      async (request: FastifyRequest) => {
        if (run === undefined) throw new ApiError(501, 'NOT_AVAILABLE', `${name} is not available in this server yet (${unwired}); use the sofia CLI`)
        await deps.session.trader.persistence?.flush()
        return run((request.body ?? {}) as Record<string, unknown>, actorOf(request))
      },
    )
  }

  const RECONCILE_UNWIRED = 'src/reconcile is not wired to the API'
  procedure({
    url: '/reconciliation/run',
    summary: 'Reconcile internal fills against the venue (operator)',
    tag: 'reconciliation',
    name: 'reconciliation',
    run: deps.reconcile?.run,
    unwired: RECONCILE_UNWIRED,
  })
  procedure({
    url: '/reconciliation/positions',
    summary: 'Reconcile positions and balances against the venue (operator)',
    tag: 'reconciliation',
    name: 'position reconciliation',
    run: deps.reconcile?.positions,
    unwired: RECONCILE_UNWIRED,
  })
  procedure({
    url: '/reports/eod',
    summary: 'Write the end-of-day report (operator)',
    tag: 'reports',
    name: 'the end-of-day report',
    run: deps.reports?.eod,
    unwired: 'src/ops reports are not wired to the API',
  })

  app.post(
    '/ws/restart',
    { config: { access: 'operator' }, schema: { summary: 'Reconnect the exchange WebSocket feed (operator); 409 without an exchange feed', tags: ['exchange'], body: procedureBody, response: procedureResponses } },
    async (request) => {
      if (deps.session.deployment === undefined) throw new ApiError(409, 'CONFLICT', `no exchange feed to restart in ${deps.session.mode()} mode (the market is simulated in-process)`)
      const r = await deps.session.deployment.restartFeed(actorOf(request))
      if (r['restarted'] !== true) throw new ApiError(409, 'CONFLICT', 'the exchange feed has ended (the session is stopping): nothing to restart')
      return r
    },
  )

  app.get(
    '/slo/status',
    { config: { access: 'viewer' }, schema: { summary: 'Service level objectives and their error budgets', tags: ['observability'], response: { 200: anyObject, ...errorResponses } } },
    () => {
      if (deps.slo !== undefined) return { tracked: true, slo: deps.slo.status() }
      const s = deps.session.trader.safety.status()
      // Without the SLO tracker: the raw indicators the SLOs are built on.
      return {
        tracked: false,
        detail: 'no SLO tracker wired into this server: raw indicators from the safety layer',
        indicators: {
          monitors: s.monitors,
          breakers: s.breakers,
          orders: deps.session.trader.orders.counters,
        },
      }
    },
  )

  app.get(
    '/alerts',
    { config: { access: 'viewer' }, schema: { summary: 'Recent alerts (and rules firing, with the alert engine)', tags: ['observability'], response: { 200: anyObject, ...errorResponses } } },
    () => ({
      source: deps.alerts !== undefined ? 'alert engine' : 'safety layer',
      firing: deps.alerts?.firing?.() ?? [],
      recent: ctx.alerts(),
    }),
  )

  app.get(
    '/tokens',
    { config: { access: 'admin' }, schema: { summary: 'API tokens: names, roles, created, expiry, last used, revoked (admin; never the tokens)', tags: ['auth'], response: { 200: anyObject, ...errorResponses } } },
    async () => ({ tokens: await listTokens(deps.store) }),
  )
}

/**
 * @module api/server
 * Builds the operator API on Fastify: strict request schemas (no coercion, no unknown fields), a body limit
 * (413), a rate limit per token or IP (429), bearer tokens with roles, one error handler, request latency
 * in `api_latency_seconds`, an audit record for every operator call, the OpenAPI document, and the routes.
 * CORS is off: the dashboard is served from the same origin.
 */
import swagger from '@fastify/swagger'
import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { installAuth } from './auth.js'
import { TicketBook } from './tickets.js'
import { dashboardRoutes } from './dashboard.js'
import { routeContext } from './context.js'
import type { ApiDeps, ServerOptions } from './deps.js'
import { ApiError, installErrorHandling } from './errors.js'
import { EventHub } from './event-stream.js'
import { eventRoutes } from './routes/events.js'
import { operationsRoutes } from './routes/operations.js'
import { probeRoutes } from './routes/probes.js'
import { riskRoutes } from './routes/risk.js'
import { tradingRoutes } from './routes/trading.js'
import { viewRoutes } from './routes/views.js'
import { backtestRoutes } from './routes/backtests.js'
import { canaryRoutes } from './routes/canary.js'
import { clusterRoutes } from './routes/cluster.js'
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from './deps.js'
import type { LogBuffer } from '../observability/index.js'

export const DEFAULT_BODY_LIMIT = 16 * 1024

export interface ApiServer {
  readonly app: FastifyInstance
  readonly hub: EventHub
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Writes each pino line to stderr and keeps it in the buffer `GET /logs` reads. */
function teeToBuffer(logs: LogBuffer): { write(line: string): void } {
  return {
    write(line: string): void {
      process.stderr.write(line)
      logs.pushPino(line)
    },
  }
}

export async function buildServer(deps: ApiDeps, options: ServerOptions = {}): Promise<ApiServer> {
  const logger = pino(
    {
      level: options.logLevel ?? 'warn',
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      // A request is logged by method and URL, its secret-looking query values redacted (tickets, tokens).
      serializers: { req: (req: { method?: string; url?: string }) => ({ method: req.method, url: redactUrl(req.url ?? '') }) },
      base: { service: 'sofia-api' },
    },
    // stdout carries the machine-readable lines of `sofia serve`; the lines go to stderr, and to `GET /logs`.
    options.logDestination ?? (deps.logs !== undefined ? teeToBuffer(deps.logs) : pino.destination(2)),
  )
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Bodies are taken as sent: `{"reason": 5}` is a 400 naming body/reason, not the string "5".
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    forceCloseConnections: true,
    return503OnClosing: true,
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sofia operator API',
        version: '0.1.0',
        description:
          'Routes mirror the runbook. Bearer tokens (`sofia tokens create`) with roles viewer < operator < admin: reads need viewer, ' +
          'every change needs operator and is audited with the token name as actor. /health, /ready, /metrics and /openapi.json are open. ' +
          'Errors are JSON {error, code}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'sofia_…' } } },
      security: [{ bearer: [] }],
    },
  })

  const perMinute = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE
  if (perMinute > 0) {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.principal !== null ? `token:${request.principal.name}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`),
    })
  }

  installErrorHandling(app)
  const tickets = new TicketBook()
  installAuth(app, deps.tokens, tickets, { metricsAuth: options.metricsAuth ?? false })

  const hub = new EventHub(deps.session, deps.alerts ?? { recent: () => deps.session.trader.safety.recentAlerts() })
  const ctx = routeContext(deps, hub)

  // An empty POST is an empty object: `{}` is what the schema checks (and names a missing field in).
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && MUTATING.has(request.method)) request.body = {}
    done()
  })

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    deps.metrics.apiLatency.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    // Every operator call that got past authentication is in the audit chain, refused or not.
    // (A ticket for the event stream changes nothing: it is not audited, or every page load would be.)
    if (MUTATING.has(request.method) && request.principal !== null && route !== '/events/ticket') {
      ctx.audit(request, 'api.request', { method: request.method, route, status: reply.statusCode })
    }
    done()
  })

  probeRoutes(app, ctx)
  riskRoutes(app, ctx)
  tradingRoutes(app, ctx)
  operationsRoutes(app, ctx)
  eventRoutes(app, ctx, tickets)
  viewRoutes(app, ctx)
  canaryRoutes(app, ctx)
  clusterRoutes(app, ctx)
  backtestRoutes(app, ctx)
  if (options.dashboardDir !== undefined) await dashboardRoutes(app, options.dashboardDir)

  hub.start()
  if (options.sseLoadPerSecond !== undefined) hub.startLoad(options.sseLoadPerSecond)
  app.addHook('preClose', (done) => {
    hub.stop()
    done()
  })
  await app.ready()
  return { app, hub }
}

/** Query parameters whose values never reach a log. */
const SECRET_PARAM = /token|ticket|key|secret|signature|password|auth/i

/** The URL with the value of every secret-looking query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=')
      const name = eq === -1 ? p : p.slice(0, eq)
      return eq !== -1 && SECRET_PARAM.test(name) ? `${name}=[redacted]` : p
    })
  return `${url.slice(0, q)}?${params.join('&')}`
}

/**
 * @module api/auth
 * Bearer-token authentication and role checks. Each route declares the role it needs in its config
 * (`open` for /health, /ready, /metrics and the OpenAPI document); a request is checked once, before
 * anything else runs, and the principal is kept on the request for the rate limit and the audit actor.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from './errors.js'
import { roleAtLeast } from './tokens.js'
import type { TicketBook } from './tickets.js'
import type { Principal, Role, TokenRefusal, TokenRegistry } from './tokens.js'

export type Access = Role | 'open'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route. */
    access?: Access
  }
  interface FastifyRequest {
    principal: Principal | null
    /** The (cached) token check of this request. */
    tokenCheck: Promise<Principal | TokenRefusal | 'TICKET_INVALID' | undefined> | null
  }
}

type Refusal = TokenRefusal | 'TICKET_INVALID'

const MESSAGES: Record<Refusal, string> = {
  TOKEN_INVALID: 'the bearer token is not valid',
  TOKEN_EXPIRED: 'the bearer token has expired',
  TOKEN_REVOKED: 'the bearer token has been revoked',
  TICKET_INVALID: 'the event-stream ticket is not valid (used, expired or unknown): get a new one with POST /events/ticket',
}

/** The token a request presents: `Authorization: Bearer …` (never a URL: see api/tickets for the event stream). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return m?.[1] ?? ''
}

/** The `?ticket=` of an event-stream request, if it has one. */
function presentedTicket(request: FastifyRequest): string | undefined {
  if (request.routeOptions.url !== '/events') return undefined
  const t = (request.query as Record<string, unknown> | undefined)?.['ticket']
  return typeof t === 'string' ? t : undefined
}

/** Checks the request's token (or event-stream ticket) once: the rate limiter and the auth hook share the answer. */
export function checkToken(request: FastifyRequest, tokens: TokenRegistry, tickets: TicketBook): Promise<Principal | Refusal | undefined> {
  if (request.tokenCheck === null) {
    const token = presentedToken(request)
    const ticket = token === undefined ? presentedTicket(request) : undefined
    request.tokenCheck =
      ticket !== undefined
        ? Promise.resolve(tickets.redeem(ticket) ?? 'TICKET_INVALID')
        : token === undefined
          ? Promise.resolve(undefined)
          : token === ''
            ? Promise.resolve('TOKEN_INVALID')
            : tokens.verify(token)
  }
  return request.tokenCheck
}

export function installAuth(app: FastifyInstance, tokens: TokenRegistry, tickets: TicketBook, options: { metricsAuth: boolean }): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('tokenCheck', null)
  app.addHook('onRequest', async (request) => {
    let access = request.routeOptions.config.access
    if (access === undefined) return // unknown route: the 404 handler answers
    if (access === 'open' && options.metricsAuth && request.routeOptions.url === '/metrics') access = 'viewer'
    if (access === 'open') return
    const check = await checkToken(request, tokens, tickets)
    if (check === undefined) throw new ApiError(401, 'UNAUTHORIZED', 'a bearer token is required (Authorization: Bearer sofia_…)')
    if (typeof check === 'string') throw new ApiError(401, check, MESSAGES[check])
    if (!roleAtLeast(check.role, access)) {
      throw new ApiError(403, 'FORBIDDEN', `token '${check.name}' has role ${check.role}; this call needs ${access} or above`)
    }
    request.principal = check
  })
}

/** The audit actor of an authenticated request. */
export function actorOf(request: FastifyRequest): string {
  return request.principal?.actor ?? 'operator:anonymous'
}

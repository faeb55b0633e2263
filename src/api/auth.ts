/**
 * @module api/auth
 * Bearer-token authentication and role checks. Each route declares the role it needs in its config
 * (`open` for /health, /ready, /metrics and the OpenAPI document); a request is checked once, before
 * anything else runs, and the principal is kept on the request for the rate limit and the audit actor.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from './errors.js'
import { roleAtLeast } from './tokens.js'
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
    tokenCheck: Promise<Principal | TokenRefusal | undefined> | null
  }
}

const MESSAGES: Record<TokenRefusal, string> = {
  TOKEN_INVALID: 'the bearer token is not valid',
  TOKEN_EXPIRED: 'the bearer token has expired',
  TOKEN_REVOKED: 'the bearer token has been revoked',
}

/** The token a request presents: `Authorization: Bearer …`, or `?access_token=` on the event stream (EventSource cannot set headers). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return m?.[1] ?? ''
  }
  if (request.routeOptions.url === '/events') {
    const q = request.query as Record<string, unknown> | undefined
    const t = q?.['access_token']
    if (typeof t === 'string') return t
  }
  return undefined
}

/** Checks the request's token once (the rate limiter and the auth hook share the answer). */
export function checkToken(request: FastifyRequest, tokens: TokenRegistry): Promise<Principal | TokenRefusal | undefined> {
  if (request.tokenCheck === null) {
    const token = presentedToken(request)
    request.tokenCheck = token === undefined ? Promise.resolve(undefined) : token === '' ? Promise.resolve('TOKEN_INVALID') : tokens.verify(token)
  }
  return request.tokenCheck
}

export function installAuth(app: FastifyInstance, tokens: TokenRegistry, options: { metricsAuth: boolean }): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('tokenCheck', null)
  app.addHook('onRequest', async (request) => {
    let access = request.routeOptions.config.access
    if (access === undefined) return // unknown route: the 404 handler answers
    if (access === 'open' && options.metricsAuth && request.routeOptions.url === '/metrics') access = 'viewer'
    if (access === 'open') return
    const check = await checkToken(request, tokens)
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

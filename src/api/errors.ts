/**
 * @module api/errors
 * The one place that turns errors into HTTP responses: every error leaves the API as JSON `{error, code}`
 * with its status — validation (400, naming the field), authentication (401), role (403), unknown route
 * (404), refusal (409), body too large (413), rate limit (429), not built (501), and anything unexpected as
 * a 500 without its stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InputError } from '../model/index.js'

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TICKET_INVALID',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'DEACTIVATION_BLOCKED',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'NOT_AVAILABLE',
  'UNAVAILABLE',
  'INTERNAL',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** An error the API answers with a status, a code and (optionally) more fields such as `blockers`. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

export interface ErrorBody {
  readonly error: string
  readonly code: string
  readonly [extra: string]: unknown
}

/** Maps any error to its status and body. */
export function errorReply(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) return { status: error.statusCode, body: { ...error.extra, error: error.message, code: error.code } }
  if (error instanceof InputError) return { status: 400, body: { error: error.message, code: 'VALIDATION_FAILED' } }
  const e = error as Partial<FastifyError> & { message?: string }
  if (e.validation !== undefined) {
    // "body/reason must be string", "querystring/limit must match pattern …": the field is named.
    return { status: 400, body: { error: e.message ?? 'invalid request', code: 'VALIDATION_FAILED' } }
  }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, body: { error: `malformed JSON body: ${e.message ?? ''}`.trim(), code: 'MALFORMED_JSON' } }
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: e.message ?? 'request body is too large', code: 'PAYLOAD_TOO_LARGE' } }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: { error: e.message ?? 'unsupported content type', code: 'UNSUPPORTED_MEDIA_TYPE' } }
  if (e.statusCode === 429) return { status: 429, body: { error: e.message ?? 'too many requests', code: 'RATE_LIMITED' } }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Other client errors fastify raises (bad content length, bad URL): their message, no internals.
    return { status: e.statusCode, body: { error: e.message ?? 'bad request', code: e.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED' } }
  }
  return { status: 500, body: { error: 'internal error', code: 'INTERNAL' } }
}

/** Installs the error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorReply(error)
    if (status === 500) request.log.error({ err: error }, 'request failed')
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="sofia"')
    return reply.status(status).send(body)
  })
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`, code: 'NOT_FOUND' }),
  )
}

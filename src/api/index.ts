/**
 * @module api
 * The operator HTTP API (`sofia serve`): the Fastify server and its routes, bearer tokens with roles, the
 * server-sent-events hub, the paper session it hosts, and the client the CLI uses to reach it.
 */
export { buildServer, DEFAULT_BODY_LIMIT } from './server.js'
export { DEFAULT_RATE_LIMIT_PER_MINUTE } from './deps.js'
export { defaultDashboardDir } from './dashboard.js'
export type { ApiServer } from './server.js'
export type { ApiDeps, ApiAlert, AlertSource, DeploymentControl, DeploymentResult, SloSource, Procedure, ServerOptions } from './deps.js'
export { ApiError, ERROR_CODES, errorReply } from './errors.js'
export type { ErrorCode, ErrorBody } from './errors.js'
export {
  ROLES,
  TOKEN_PREFIX,
  TokenRegistry,
  createToken,
  revokeToken,
  listTokens,
  hashToken,
  isRole,
  roleAtLeast,
  validTokenName,
} from './tokens.js'
export type { Role, StoredToken, TokenInfo, Principal, TokenChange } from './tokens.js'
export { EventHub, SSE_EVENTS } from './event-stream.js'
export type { SseEvent } from './event-stream.js'
export { PNL_PERIODS, periodPnl } from './pnl.js'
export type { PnlPeriod, PeriodPnl } from './pnl.js'
export { API_ENDPOINT_KEY, ApiClient, executeViaApi, runningApi } from './client.js'
export type { ApiEndpoint, ApiResponse } from './client.js'

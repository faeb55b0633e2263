/**
 * @module api/context
 * What every route module gets: the dependencies, the event hub, and how an operator's call is audited.
 */
import type { FastifyRequest } from 'fastify'
import { actorOf } from './auth.js'
import type { ApiAlert, ApiDeps } from './deps.js'
import type { EventHub } from './event-stream.js'
import type { AuditPayload, AuditType } from '../audit/index.js'

export interface RouteContext {
  readonly deps: ApiDeps
  readonly hub: EventHub
  /** Recent alerts: the alert engine's when plugged in, else the safety layer's. */
  readonly alerts: () => readonly ApiAlert[]
  /** Appends an audit record with the caller's token as actor. */
  audit<T extends AuditType>(request: FastifyRequest, type: T, payload: AuditPayload<T>): void
}

export function routeContext(deps: ApiDeps, hub: EventHub): RouteContext {
  return {
    deps,
    hub,
    alerts: () => deps.alerts?.recent() ?? deps.session.trader.safety.recentAlerts(),
    audit: (request, type, payload) => deps.session.trader.persistence?.audit(type, actorOf(request), payload),
  }
}

/**
 * @module api/routes/events
 * `GET /events`: the server-sent-events stream of the dashboard (viewer). EventSource cannot send headers,
 * and a token in a URL would be logged, so the stream is opened with a single-use ticket
 * (`POST /events/ticket`, then `/events?ticket=…`); a Bearer header works too.
 */
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'
import { SSE_EVENTS } from '../event-stream.js'
import { TICKET_TTL_MS } from '../tickets.js'
import type { TicketBook } from '../tickets.js'

export function eventRoutes(app: FastifyInstance, ctx: RouteContext, tickets: TicketBook): void {
  app.post(
    '/events/ticket',
    {
      config: { access: 'viewer' },
      schema: {
        summary: `A single-use ticket that opens the event stream once, within ${TICKET_TTL_MS / 1000} s: GET /events?ticket=…`,
        tags: ['events'],
        response: { 200: { type: 'object', properties: { ticket: { type: 'string' }, expiresAt: { type: 'string' } } } },
      },
    },
    (request) => tickets.issue(request.principal!),
  )

  app.get(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        summary: `Server-sent events: ${SSE_EVENTS.join(', ')} (a status event every second)`,
        tags: ['events'],
        produces: ['text/event-stream'],
        querystring: { type: 'object', additionalProperties: false, properties: { ticket: { type: 'string' } } },
      },
    },
    (request, reply) => {
      reply.hijack()
      const t = ctx.deps.session.trader
      ctx.hub.attach(reply.raw, {
        mode: ctx.deps.session.mode(),
        user: request.principal?.name ?? null,
        killSwitch: { ...t.safety.killSwitch.state(), active: t.safety.killSwitch.active },
        openOrders: t.orders.openOrders().length,
        events: [...SSE_EVENTS],
      })
    },
  )
}

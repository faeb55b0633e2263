/**
 * @module api/routes/events
 * `GET /events`: the server-sent-events stream of the dashboard (viewer). EventSource cannot send headers,
 * so this route alone also takes the token as `?access_token=`.
 */
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'
import { SSE_EVENTS } from '../event-stream.js'

export function eventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        summary: `Server-sent events: ${SSE_EVENTS.join(', ')} (a status event every second)`,
        tags: ['events'],
        produces: ['text/event-stream'],
        querystring: { type: 'object', additionalProperties: false, properties: { access_token: { type: 'string' } } },
      },
    },
    (request, reply) => {
      reply.hijack()
      const t = ctx.deps.trader
      ctx.hub.attach(reply.raw, {
        mode: ctx.deps.mode,
        user: request.principal?.name ?? null,
        killSwitch: { ...t.safety.killSwitch.state(), active: t.safety.killSwitch.active },
        openOrders: t.orders.openOrders().length,
        events: [...SSE_EVENTS],
      })
    },
  )
}

/**
 * @module api/routes/cluster
 * `GET /cluster/status` (viewer): every node of the cluster this node belongs to — id, heartbeat age (stale
 * past 5 s), mode, strategies, kill switch — and the global kill switch's last change. A node started
 * without `--nats` says so (`node: null`, no nodes, and a message): running alone is not an error.
 */
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'
import { anyObject, errorResponses } from '../schemas.js'

export function clusterRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    '/cluster/status',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "The cluster's nodes (heartbeat age, mode, strategies, kill switch) and the global kill switch",
        tags: ['cluster'],
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async () => {
      const cluster = ctx.deps.cluster
      if (cluster === undefined) return { node: null, halt: null, nodes: [], message: 'this node is not in a cluster (start it with --nats URL --node-id ID)' }
      return { node: cluster.id, ...(await cluster.status()) }
    },
  )
}

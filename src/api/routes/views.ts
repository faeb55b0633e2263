/**
 * @module api/routes/views
 * Read-only views the dashboard needs beyond the runbook routes (viewer): who am I (`GET /auth/whoami`),
 * recent fills (`GET /fills`), P&L by strategy/venue/symbol/day (`GET /pnl/breakdown`), a day's profit
 * attribution (`GET /reports/attribution`), the reconciliation reports on disk (`GET /reconciliation/runs`)
 * and a verification of the audit chain (`GET /audit/verify`). Money stays decimal strings.
 */
import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { verifyChain, verifySqliteAudit } from '../../audit/index.js'
import { attributionJson, computeAttribution, legsJson, loadStoredCosts, parsePeriod, parseUtcDate, pnlByLeg, pnlJson, replayPnl, summarizePnl, utcDayStart } from '../../ops/pnl/index.js'
import type { StoredFill } from '../../store/index.js'
import type { RouteContext } from '../context.js'
import { ApiError } from '../errors.js'
import { anyObject, errorResponses, errorSchema } from '../schemas.js'

const HOUR = 3_600_000
const limitParam = { type: 'string', pattern: '^[0-9]{1,4}$' } as const

function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  const limit = Number(raw ?? fallback)
  if (limit < 1 || limit > max) throw new ApiError(400, 'VALIDATION_FAILED', `querystring/limit must be from 1 to ${max}, got ${limit}`)
  return limit
}

function fillView(f: StoredFill): Record<string, unknown> {
  return {
    id: f.tradeId,
    clientOrderId: f.clientOrderId,
    strategyId: f.strategyId,
    venue: f.venue,
    symbol: f.symbol,
    side: f.side,
    price: f.price,
    amount: f.amount,
    cost: f.cost,
    fee: { cost: f.feeCost, currency: f.feeCurrency },
    takerOrMaker: f.takerOrMaker,
    timestamp: f.timestamp,
    datetime: new Date(f.timestamp).toISOString(),
  }
}

/** One reconciliation report file, summarized (the whole report can be megabytes). */
async function runSummary(dir: string, name: string): Promise<Record<string, unknown>> {
  const file = join(dir, name)
  const s = await stat(file)
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    const inputs = (doc['inputs'] ?? {}) as Record<string, unknown>
    const counts = (doc['counts'] ?? {}) as Record<string, unknown>
    const discrepancies = Array.isArray(doc['discrepancies']) ? (doc['discrepancies'] as unknown[]) : []
    return {
      file: name,
      generatedAt: typeof doc['generatedAt'] === 'string' ? doc['generatedAt'] : new Date(s.mtimeMs).toISOString(),
      status: typeof doc['status'] === 'string' ? doc['status'] : 'unknown',
      venue: typeof inputs['venue'] === 'string' ? inputs['venue'] : null,
      from: typeof inputs['from'] === 'number' ? inputs['from'] : null,
      to: typeof inputs['to'] === 'number' ? inputs['to'] : null,
      counts,
      discrepancies: discrepancies.slice(0, 20),
    }
  } catch {
    return { file: name, generatedAt: new Date(s.mtimeMs).toISOString(), status: 'unreadable', venue: null, from: null, to: null, counts: {}, discrepancies: [] }
  }
}

export function viewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx
  const { trader, store } = deps
  const viewer = { access: 'viewer' } as const

  app.get(
    '/auth/whoami',
    {
      config: viewer,
      schema: {
        summary: 'The presented token: name, role and the audit actor it acts as',
        tags: ['auth'],
        response: { 200: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, actor: { type: 'string' } } }, ...errorResponses },
      },
    },
    (request) => ({ name: request.principal?.name ?? '', role: request.principal?.role ?? 'viewer', actor: request.principal?.actor ?? '' }),
  )

  app.get<{ Querystring: { limit?: string } }>(
    '/fills',
    {
      config: viewer,
      schema: {
        summary: 'The latest fills of the last 24 hours, newest first (limit 1–500, default 50)',
        tags: ['orders'],
        querystring: { type: 'object', additionalProperties: false, properties: { limit: limitParam } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const limit = parseLimit(request.query.limit, 50, 500)
      await trader.persistence?.flush()
      const now = Date.now()
      let kept: StoredFill[] = []
      // The last hour first: a busy day holds far more fills than a page shows.
      for (const window of [HOUR, 24 * HOUR]) {
        kept = []
        for await (const batch of store.iterateFills({ since: now - window })) {
          kept.push(...batch)
          if (kept.length > 2 * limit) kept = kept.slice(-limit)
        }
        if (kept.length >= limit) break
      }
      const fills = kept.slice(-limit).reverse().map(fillView)
      return { count: fills.length, fills }
    },
  )

  app.get<{ Querystring: { period?: string } }>(
    '/pnl/breakdown',
    {
      config: viewer,
      schema: {
        summary: 'P&L by strategy, venue, symbol and day, with fees, costs and slippage (period today, yesterday, 7d, all or YYYY-MM-DD; default today)',
        tags: ['pnl'],
        querystring: { type: 'object', additionalProperties: false, properties: { period: { type: 'string', maxLength: 10 } } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const period = parsePeriod('querystring/period', request.query.period ?? 'today', Date.now())
      await trader.persistence?.flush()
      const options = { from: period.from, to: period.to, currency: trader.ledger.reportingCurrency, costs: await loadStoredCosts(store) }
      const summary = summarizePnl(await replayPnl(store, options), period)
      // live: what the exchange did; simulated: the simulator's (paper, shadow) — each net without unrealized.
      return { ...pnlJson(summary), legs: legsJson(await pnlByLeg(store, options, period, undefined, undefined, summary)) }
    },
  )

  app.get<{ Querystring: { date?: string } }>(
    '/reports/attribution',
    {
      config: viewer,
      schema: {
        summary: "A UTC day's net P&L split into alpha, slippage, inventory, fees and costs (date YYYY-MM-DD, default today)",
        tags: ['pnl'],
        querystring: { type: 'object', additionalProperties: false, properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const day = request.query.date === undefined ? utcDayStart(Date.now()) : parseUtcDate('querystring/date', request.query.date)
      await trader.persistence?.flush()
      const a = await computeAttribution(store, { day, currency: trader.ledger.reportingCurrency, costs: await loadStoredCosts(store) })
      return attributionJson(a)
    },
  )

  app.get<{ Querystring: { limit?: string } }>(
    '/reconciliation/runs',
    {
      config: viewer,
      schema: {
        summary: 'Reconciliation reports in <data-dir>/reports/reconciliation, newest first, with their discrepancies by type (limit 1–200, default 20)',
        tags: ['reconciliation'],
        querystring: { type: 'object', additionalProperties: false, properties: { limit: limitParam } },
        response: { 200: anyObject, ...errorResponses, 501: errorSchema },
      },
    },
    async (request) => {
      const limit = parseLimit(request.query.limit, 20, 200)
      if (deps.dataDir === undefined) throw new ApiError(501, 'NOT_AVAILABLE', 'this server has no data directory: reconciliation reports are not listed')
      const dir = join(deps.dataDir, 'reports', 'reconciliation')
      if (!existsSync(dir)) return { dir, total: 0, runs: [] }
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json'))
      // Names carry the UTC time (reconciliation_YYYYMMDDTHHMMSSmmmZ[-n].json): newest first by name.
      names.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
      const runs = await Promise.all(names.slice(0, limit).map((n) => runSummary(dir, n)))
      return { dir, total: names.length, runs }
    },
  )

  app.get(
    '/audit/verify',
    {
      config: viewer,
      schema: {
        summary: 'Verifies the audit chain now (the parallel SQLite fast path on a SQLite store): ok with the head, or the first bad record',
        tags: ['audit'],
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async () => {
      await trader.persistence?.flush()
      const started = performance.now()
      const method = store.kind === 'sqlite' ? 'sqlite' : 'store'
      const result = store.kind === 'sqlite' ? await verifySqliteAudit(store.location) : await verifyChain(store.iterateAudit())
      return { ...result, method, verifiedAt: new Date().toISOString(), elapsedMs: Math.round(performance.now() - started) }
    },
  )
}

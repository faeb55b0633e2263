/**
 * @module api/routes/views
 * Read-only views the dashboard needs beyond the runbook routes (viewer): who am I (`GET /auth/whoami`),
 * recent fills (`GET /fills`), P&L by strategy/venue/symbol/day (`GET /pnl/breakdown`), a day's profit
 * attribution (`GET /reports/attribution`), round trips with filters, paging and CSV (`GET /trades`), the recent log lines (`GET /logs`), the session's equity curve (`GET /equity`), candles of the session's market data (`GET /candles`), the reconciliation reports on disk (`GET /reconciliation/runs`)
 * and a verification of the audit chain (`GET /audit/verify`). Money stays decimal strings.
 */
import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { verifyChain, verifySqliteAudit } from '../../audit/index.js'
import { LOG_BUFFER_LEVELS } from '../../observability/index.js'
import { CANDLE_TIMEFRAMES, storedSimulatedOrders } from '../../system/index.js'
import type { CandleTimeframe } from '../../system/index.js'
import type { LogBufferLevel } from '../../observability/index.js'
import { roundTrips } from '../../ops/pnl/index.js'
import type { RoundTrip } from '../../ops/pnl/index.js'
import { attributionJson, computeAttribution, legsJson, loadStoredCosts, parsePeriod, parseUtcDate, pnlByLeg, pnlJson, replayPnl, summarizePnl, utcDayStart } from '../../ops/pnl/index.js'
import { isRecord } from '../../model/index.js'
import type { StoredFill } from '../../store/index.js'
import type { RouteContext } from '../context.js'
import { ApiError } from '../errors.js'
import type { FillView, PnlBreakdown, ReconciliationRun, ReconciliationRuns } from '../wire.js'
import { anyObject, errorResponses, errorSchema } from '../schemas.js'

const HOUR = 3_600_000
const limitParam = { type: 'string', pattern: '^[0-9]{1,4}$' } as const

function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  const limit = Number(raw ?? fallback)
  if (limit < 1 || limit > max) throw new ApiError(400, 'VALIDATION_FAILED', `querystring/limit must be from 1 to ${max}, got ${limit}`)
  return limit
}

function tradeView(t: RoundTrip): Record<string, unknown> {
  return {
    strategyId: t.strategyId,
    venue: t.venue,
    symbol: t.symbol,
    side: t.side,
    status: t.closedAt === undefined ? 'open' : 'closed',
    openedAt: t.openedAt,
    closedAt: t.closedAt ?? null,
    durationMs: t.closedAt === undefined ? null : t.closedAt - t.openedAt,
    amount: t.amount.toString(),
    entryPrice: t.entryPrice.toDecimalPlaces(12).toString(),
    exitPrice: t.exitPrice?.toDecimalPlaces(12).toString() ?? null,
    gross: t.gross?.toString() ?? null,
    fees: t.fees.toString(),
    net: t.net?.toString() ?? null,
    netPct: t.netPct ?? null,
    fills: t.fills,
    otherFees: t.otherFees,
  }
}

const TRADE_CSV_HEADER = 'strategy,venue,symbol,side,status,opened_at,closed_at,duration_s,amount,entry_price,exit_price,gross,fees,net,net_pct,fills'

function tradeCsv(t: RoundTrip): string {
  const v = tradeView(t)
  const iso = (ms: unknown): string => (typeof ms === 'number' ? new Date(ms).toISOString() : '')
  const cell = (x: unknown): string => {
    const text = x === null || x === undefined ? '' : String(x)
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
  }
  return [v['strategyId'], v['venue'], v['symbol'], v['side'], v['status'], iso(v['openedAt']), iso(v['closedAt']), typeof v['durationMs'] === 'number' ? v['durationMs'] / 1000 : '', v['amount'], v['entryPrice'], v['exitPrice'], v['gross'], v['fees'], v['net'], typeof v['netPct'] === 'number' ? v['netPct'].toFixed(4) : '', v['fills']]
    .map(cell)
    .join(',')
}

function fillView(f: StoredFill): FillView {
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
async function runSummary(dir: string, name: string): Promise<ReconciliationRun> {
  const file = join(dir, name)
  const s = await stat(file)
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    const inputs = (doc['inputs'] ?? {}) as Record<string, unknown>
    // Written by `sofia reconcile` or the API's reconciliation (its ReconciliationReport's counts).
    const counts = (doc['counts'] ?? {}) as ReconciliationRun['counts']
    const discrepancies = Array.isArray(doc['discrepancies']) ? (doc['discrepancies'] as unknown[]).filter(isRecord) : []
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
  const { store } = deps
  const { trader } = deps.session
  const viewer = { access: 'viewer' } as const

  // Round trips per (strategy, symbol) filter, kept with the fill count they were built from: fills are only ever
  // added, so while the count is the same the trips are too, and a page of GET /trades does not read every fill.
  const tripCache = new Map<string, { readonly count: number; readonly trips: RoundTrip[] }>()
  const tripsOf = async (strategyId: string | undefined, symbol: string | undefined): Promise<RoundTrip[]> => {
    const filter = { ...(strategyId !== undefined ? { strategyId } : {}), ...(symbol !== undefined ? { symbol } : {}) }
    const key = JSON.stringify([strategyId ?? null, symbol ?? null])
    const count = await store.countFills(filter)
    const kept = tripCache.get(key)
    if (kept !== undefined && kept.count === count) return kept.trips
    // A trip's first fill may be older than `from`: every fill of the strategy (and symbol) is read.
    const fills: StoredFill[] = []
    // The session's account's trips: the simulator's fills from before it became the exchange's are not in them.
    const simulated = await storedSimulatedOrders(store)
    for await (const batch of store.iterateFills(filter)) for (const f of batch) if (!simulated.has(f.clientOrderId)) fills.push(f)
    const trips = roundTrips(fills)
    if (tripCache.size >= 32) tripCache.clear()
    tripCache.set(key, { count: fills.length, trips })
    return trips
  }

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

  app.get<{ Querystring: { strategy?: string; symbol?: string; status?: string; from?: string; to?: string; limit?: string; offset?: string; format?: string } }>(
    '/trades',
    {
      config: viewer,
      schema: {
        summary:
          'Round trips from the recorded fills (a trip opens when a position leaves zero and closes when it returns): entry, exit, gross and net P&L, P&L % of the entry value, duration; newest first, filtered by strategy, symbol, status (open|closed) and opening time (from, to: ISO or epoch ms), paged (limit 1–1000, offset), or as CSV (format=csv, every match)',
        tags: ['orders'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            strategy: { type: 'string', minLength: 1 },
            symbol: { type: 'string', minLength: 1 },
            status: { type: 'string', enum: ['open', 'closed'] },
            from: { type: 'string', minLength: 1 },
            to: { type: 'string', minLength: 1 },
            limit: limitParam,
            offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
            format: { type: 'string', enum: ['json', 'csv'] },
          },
        },
        response: { 200: {}, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query
      const limit = parseLimit(q.limit, 50, 1_000)
      const offset = Number(q.offset ?? 0)
      const time = (raw: string | undefined, name: string): number | undefined => {
        if (raw === undefined) return undefined
        const ms = /^[0-9]+$/.test(raw) ? Number(raw) : Date.parse(raw)
        if (!Number.isFinite(ms)) throw new ApiError(400, 'VALIDATION_FAILED', `querystring/${name}: not a time (ISO 8601 or epoch ms): ${raw}`)
        return ms
      }
      const [from, to] = [time(q.from, 'from'), time(q.to, 'to')]
      await trader.persistence?.flush()
      const trips = (await tripsOf(q.strategy, q.symbol))
        .filter((t) => (q.status === undefined || (q.status === 'open') === (t.closedAt === undefined)) && (from === undefined || t.openedAt >= from) && (to === undefined || t.openedAt < to))
        .reverse()
      if (q.format === 'csv') {
        reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="sofia-trades.csv"')
        return [TRADE_CSV_HEADER, ...trips.map(tradeCsv)].join('\n') + '\n'
      }
      const closed = trips.filter((t) => t.net !== undefined)
      return {
        total: trips.length,
        offset,
        limit,
        closed: closed.length,
        wins: closed.filter((t) => t.net!.gt(0)).length,
        trades: trips.slice(offset, offset + limit).map(tradeView),
      }
    },
  )

  app.get<{ Querystring: { venue?: string; symbol?: string; timeframe?: string; limit?: string } }>(
    '/candles',
    {
      config: viewer,
      schema: {
        summary:
          "Candles of the session's market data for the price chart: with venue and symbol, the newest (limit 1–1000, default 500) OHLCV of a timeframe (1s, 10s, 1m, 5m, 15m, 1h; default 1m), of trades, or of the quotes' mid where no trade was seen (volume 0); without them, the markets there are",
        tags: ['status'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { venue: { type: 'string', minLength: 1 }, symbol: { type: 'string', minLength: 1 }, timeframe: { type: 'string', enum: [...CANDLE_TIMEFRAMES] }, limit: limitParam },
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const book = ctx.deps.candles
      const q = request.query
      if (q.venue === undefined || q.symbol === undefined) return { timeframes: CANDLE_TIMEFRAMES, markets: book?.marketList() ?? [] }
      const timeframe = (q.timeframe ?? '1m') as CandleTimeframe
      const found = book?.candles(q.venue, q.symbol, timeframe, parseLimit(q.limit, 500, 1_000))
      if (found === undefined) throw new ApiError(404, 'NOT_FOUND', `no market data for ${q.venue}:${q.symbol} in this session`)
      return { venue: q.venue, symbol: q.symbol, timeframe, source: found.source, candles: found.candles }
    },
  )

  app.get<{ Querystring: { limit?: string } }>(
    '/equity',
    {
      config: viewer,
      schema: {
        summary:
          "The session's equity curve, oldest first (the newest limit 1–10000 points, default 2000): time (ms), equity and drawdown from the peak in the reporting currency, as sampled since the session started (evenly thinned over a long session)",
        tags: ['status'],
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', pattern: '^[0-9]{1,5}$' } } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const ledger = ctx.deps.session.trader.ledger
      const points = ledger.equityCurve().slice(-parseLimit(request.query.limit, 2_000, 10_000))
      return { currency: ledger.reportingCurrency, points: points.map((p) => ({ t: p.timestamp, equity: p.equity.toString(), drawdown: p.drawdown.toString() })) }
    },
  )

  app.get<{ Querystring: { level?: string; text?: string; limit?: string } }>(
    '/logs',
    {
      config: viewer,
      schema: {
        summary: "The process's recent log lines, newest first: the session's, the strategies' and the API server's (the last 1,000 kept; level info|warn|error and above, text to match, limit 1–1000, default 200)",
        tags: ['status'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { level: { type: 'string', enum: [...LOG_BUFFER_LEVELS] }, text: { type: 'string', maxLength: 200 }, limit: limitParam },
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const logs = ctx.deps.logs
      if (logs === undefined) return { kept: false, lines: [] }
      const q = request.query
      const lines = logs.recent({ ...(q.level !== undefined ? { level: q.level as LogBufferLevel } : {}), ...(q.text !== undefined ? { text: q.text } : {}), limit: parseLimit(q.limit, 200, 1_000) })
      return { kept: true, lines }
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
    async (request): Promise<PnlBreakdown> => {
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
    async (request): Promise<ReconciliationRuns> => {
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

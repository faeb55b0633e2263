/**
 * @module api/routes/risk
 * Status, the risk picture and the operator's levers: `GET /status`, `GET /risk/status`,
 * `GET /risk/audit?limit=`, `GET /kill-switch`, `POST /kill-switch/activate|deactivate {reason}`,
 * `POST /trading-state`, `POST /position-override`, and each strategy with its levers' settings
 * (`GET /strategies`). Every lever goes through `Safety.execute` with the
 * token's name as actor, so the audit chain says who did it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Decimal } from '../../model/index.js'
import { TRADING_STATES, effectiveDailyLossLimit } from '../../risk/index.js'
import type { RiskLimits } from '../../risk/index.js'
import type { Store, StoredAuditRecord } from '../../store/index.js'
import { strategyOrigin } from '../../strategy/index.js'
import { DEFAULT_RISK } from '../../system/index.js'
import type { CommandOutcome, ControlCommand, Trader } from '../../system/index.js'
import { actorOf } from '../auth.js'
import type { RouteContext } from '../context.js'
import { ApiError } from '../errors.js'
import { anyObject, errorResponses, errorSchema, killSwitchState, reasonBody } from '../schemas.js'
import type { AuditPage, KillSwitchStatus, KillSwitchView, LimitUse, RiskStatus, StatusView, StrategiesView } from '../wire.js'

const withConflict = { ...errorResponses, 409: errorSchema } as const

interface AuditQuery {
  limit?: string
  before?: string
  type?: string
  q?: string
}

type AuditRow = Omit<StoredAuditRecord, 'body'>

/** Records a filtered search reads at most per request (it pages back with `nextBefore` beyond that). */
const MAX_SCAN = 200_000
const SCAN_CHUNK = 2_000

function auditFilter(query: AuditQuery): ((r: AuditRow) => boolean) | undefined {
  const types = query.type?.split(',').map((t) => t.trim()).filter((t) => t !== '')
  const q = query.q?.toLowerCase()
  if ((types === undefined || types.length === 0) && q === undefined) return undefined
  const typeOk = (type: string): boolean =>
    types === undefined || types.length === 0 || types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : type === t))
  return (r) => typeOk(r.type) && (q === undefined || `${r.type}\n${r.actor}\n${JSON.stringify(r.payload)}`.toLowerCase().includes(q))
}

/**
 * The latest `limit` records below `before` that pass the filter, read backwards in chunks. `nextBefore` is
 * the `before` of the next page (null when nothing older is left to read).
 */
async function auditPage(store: Store, headSeq: number, limit: number, query: AuditQuery): Promise<Omit<AuditPage, 'head'>> {
  const filter = auditFilter(query)
  let end = query.before === undefined ? headSeq : Math.min(headSeq, Number(query.before) - 1)
  let records: AuditRow[] = []
  let scanned = 0
  while (end >= 1 && records.length < limit && scanned < MAX_SCAN) {
    const start = Math.max(1, end - (filter === undefined ? limit - records.length : SCAN_CHUNK) + 1)
    const chunk: AuditRow[] = []
    for await (const batch of store.iterateAudit({ fromSeq: start, toSeq: end }, SCAN_CHUNK)) {
      for (const r of batch) {
        scanned++
        const row = { seq: r.seq, ts: r.ts, type: r.type, actor: r.actor, payload: r.payload, prevHash: r.prevHash, hash: r.hash }
        if (filter === undefined || filter(row)) chunk.push(row)
      }
    }
    records = [...chunk, ...records]
    end = start - 1
  }
  if (records.length > limit) {
    records = records.slice(-limit)
    return { records, nextBefore: records[0]!.seq, scanned }
  }
  return { records, nextBefore: end >= 1 ? end + 1 : null, scanned }
}

/** A value for JSON: decimals (anything with a decimal `toFixed`) as strings. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(plain)
  if (typeof (value as { toFixed?: unknown }).toFixed === 'function' && typeof (value as { isZero?: unknown }).isZero === 'function') return String(value)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
}

/** The limits as JSON: every decimal as its string. */
function plainLimits(limits: RiskLimits): Readonly<Record<string, unknown>> {
  return Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, plain(v)]))
}

function limitUsage(trader: Trader, limits: RiskLimits, dailyLimit: Decimal | undefined, daily: Decimal): LimitUse[] {
  const out: LimitUse[] = []
  const pct = (current: Decimal, max: Decimal): number | null => (max.isZero() ? null : Math.max(0, current.div(max).toNumber() * 100))
  const ledger = trader.ledger
  let largest: { key: string; notional: Decimal } | undefined
  for (const p of ledger.positions()) {
    if (p.amount.isZero()) continue
    const mark = ledger.markDecimal(p.venue, p.symbol) ?? p.averagePrice
    if (mark === undefined || mark === null) continue
    const notional = p.amount.abs().mul(mark)
    if (largest === undefined || notional.gt(largest.notional)) largest = { key: `${p.venue}:${p.symbol}`, notional }
  }
  const push = (limit: keyof RiskLimits, value: Decimal | number | undefined, current: Decimal | undefined, detail: string): void => {
    if (value === undefined) return
    const v = typeof value === 'number' ? String(value) : value.toString()
    out.push({ limit, value: v, current: current?.toString() ?? null, usedPct: current === undefined || typeof value === 'number' ? null : pct(current, value), detail })
  }
  const loss = daily.isNegative() ? daily.neg() : daily.mul(0)
  if (limits.maxDailyLoss !== undefined) push('maxDailyLoss', limits.maxDailyLoss, loss, `loss today ${loss} of ${limits.maxDailyLoss}`)
  if (limits.maxDailyLossPct !== undefined && dailyLimit !== undefined) {
    out.push({ limit: 'maxDailyLossPct', value: String(limits.maxDailyLossPct), current: loss.toString(), usedPct: pct(loss, dailyLimit), detail: `loss today ${loss} of ${dailyLimit} (the tighter daily limit)` })
  }
  const zero = daily.mul(0)
  // The figure the pre-trade check compares with the limit, not a second sum of its own.
  push('maxGrossExposure', limits.maxGrossExposure, trader.grossExposure(), 'Σ |position| × last price')
  push('maxPositionNotional', limits.maxPositionNotional, largest?.notional ?? zero, largest === undefined ? 'flat' : `largest: ${largest.key}`)
  if (limits.maxOpenOrders !== undefined) {
    const counts = new Map<string, number>()
    for (const o of trader.orders.openOrders()) {
      for (const k of [`strategy ${o.strategyId}`, `venue ${o.venue}`]) counts.set(k, (counts.get(k) ?? 0) + 1)
    }
    let top: [string, number] = ['none', 0]
    for (const e of counts) if (e[1] > top[1]) top = e
    out.push({ limit: 'maxOpenOrders', value: String(limits.maxOpenOrders), current: String(top[1]), usedPct: limits.maxOpenOrders === 0 ? null : (top[1] / limits.maxOpenOrders) * 100, detail: `most: ${top[0]}` })
  }
  push('maxOrderNotional', limits.maxOrderNotional, undefined, 'per order')
  push('maxOrdersPerSecond', limits.maxOrdersPerSecond, undefined, 'per strategy and per venue')
  push('maxOrdersPerMinute', limits.maxOrdersPerMinute, undefined, 'per strategy and per venue')
  push('priceBandPct', limits.priceBandPct, undefined, 'fraction from the last trade')
  if (limits.allowedSymbols !== undefined) out.push({ limit: 'allowedSymbols', value: limits.allowedSymbols.join(', '), current: null, usedPct: null, detail: 'only these symbols' })
  if (limits.allowedVenues !== undefined) out.push({ limit: 'allowedVenues', value: limits.allowedVenues.join(', '), current: null, usedPct: null, detail: 'only these venues' })
  if (limits.preventSelfTrade === true) out.push({ limit: 'preventSelfTrade', value: 'on', current: null, usedPct: null, detail: "no order may trade with the account's own resting order" })
  return out
}

export function riskRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { trader } = ctx.deps.session
  const safety = trader.safety

  const execute = <C extends ControlCommand>(request: FastifyRequest, command: C, args: Record<string, unknown>): CommandOutcome<C> => {
    const r = safety.execute({ command, args, actor: actorOf(request) })
    ctx.hub.checkChanges()
    return r
  }

  const killSwitch = (): KillSwitchView => ({ ...safety.killSwitch.state(), active: safety.killSwitch.active, mode: safety.killSwitch.configuredMode })

  app.get('/status', { config: { access: 'viewer' }, schema: { summary: 'The session at a glance', tags: ['status'], response: { 200: anyObject, ...errorResponses } } }, (): StatusView => {
    const pnl = trader.pnl()
    const s = safety.status()
    return {
      mode: ctx.deps.session.mode(),
      running: ctx.deps.session.running(),
      pid: process.pid,
      startedAt: ctx.deps.session.startedAt,
      uptimeMs: Date.now() - ctx.deps.session.startedAt,
      store: ctx.deps.store.location,
      recovery: trader.recovery,
      strategies: trader.runners.map((r) => r.strategy.id),
      venues: trader.venues.map((v) => v.id),
      currency: trader.ledger.reportingCurrency,
      equity: trader.equity().toString(),
      pnl: { realized: pnl.realized.toString(), unrealized: pnl.unrealized.toString(), fees: pnl.fees.toString(), net: pnl.net.toString(), daily: s.dailyPnl },
      killSwitch: killSwitch(),
      tradingStates: s.tradingStates,
      orders: { open: s.openOrders, ...trader.orders.counters },
      positions: s.positions,
      alerts: ctx.alerts().length,
    }
  })

  app.get(
    '/risk/status',
    { config: { access: 'viewer' }, schema: { summary: 'Limits, monitors, breakers, trading states, kill switch, daily P&L against its limit', tags: ['risk'], response: { 200: anyObject, ...errorResponses } } },
    (): RiskStatus => {
      const s = safety.status()
      const limits = (trader.options.riskSettings ?? DEFAULT_RISK).limits
      const daily = safety.dailyPnl()
      const limit = effectiveDailyLossLimit(limits, () => trader.equity())
      return {
        killSwitch: killSwitch(),
        tradingStates: s.tradingStates,
        limits: plainLimits(limits),
        dailyPnl: {
          pnl: daily.toString(),
          limit: limit?.toString() ?? null,
          remaining: limit === undefined ? null : limit.add(daily).toString(),
          usedPct: limit === undefined || limit.isZero() ? null : Math.max(0, daily.neg().div(limit).toNumber() * 100),
        },
        usage: limitUsage(trader, limits, limit, daily),
        monitors: s.monitors,
        breakers: s.breakers,
        positionOverride: trader.risk.positionOverride.snapshot(),
        openOrders: s.openOrders,
        positions: s.positions,
      }
    },
  )

  app.get<{ Querystring: AuditQuery }>(
    '/risk/audit',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          'Audit records, oldest first: the latest `limit` (1–1000, default 50) with seq < `before`, of a `type` (exact, comma-separated, ' +
          'or a prefix ending in `*`) and containing `q` (type, actor or payload, case-insensitive); `nextBefore` pages back',
        tags: ['risk'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
            before: { type: 'string', pattern: '^[0-9]{1,15}$' },
            type: { type: 'string', minLength: 1, maxLength: 200 },
            q: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { head: { type: ['integer', 'null'] }, records: { type: 'array', items: anyObject }, nextBefore: { type: ['integer', 'null'] }, scanned: { type: 'integer' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request): Promise<AuditPage> => {
      const limit = Number(request.query.limit ?? 50)
      if (limit < 1 || limit > 1000) throw new ApiError(400, 'VALIDATION_FAILED', `querystring/limit must be from 1 to 1000, got ${limit}`)
      await trader.persistence?.flush()
      const head = await ctx.deps.store.auditHead()
      if (head === undefined) return { head: null, records: [], nextBefore: null, scanned: 0 }
      return { head: head.seq, ...(await auditPage(ctx.deps.store, head.seq, limit, request.query)) }
    },
  )

  app.get(
    '/kill-switch',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Kill switch state and history (oldest first)',
        tags: ['kill switch'],
        response: { 200: { type: 'object', properties: { state: killSwitchState, history: { type: 'array', items: anyObject } } }, ...errorResponses },
      },
    },
    (): KillSwitchStatus => ({ state: killSwitch(), history: safety.killSwitch.history() }),
  )

  const ksResponse = { type: 'object', properties: { changed: { type: 'boolean' }, state: killSwitchState, openOrders: { type: 'integer' } } } as const

  app.post<{ Body: { reason: string } }>(
    '/kill-switch/activate',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Halt: no order of any kind leaves Sofia (flatten excepted); cancel every open order (operator)',
        tags: ['kill switch'],
        body: reasonBody,
        response: { 200: ksResponse, ...withConflict },
      },
    },
    (request) => {
      const r = execute(request, 'kill_switch.activate', { reason: request.body.reason })
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused')
      const changed = r.result.changed
      return { changed, state: killSwitch(), openOrders: trader.orders.openOrders().length }
    },
  )

  app.post<{ Body: { reason: string; clearsReconciliation?: boolean; acknowledgeLoss?: boolean } }>(
    '/kill-switch/deactivate',
    {
      config: { access: 'operator' },
      schema: {
        summary:
          'Resume trading; 409 with the blockers while a breach stands, while the KILL_SWITCH file exists, or for a ' +
          'reconciliation halt without `clearsReconciliation` (what `sofia reconcile clear` sends); `acknowledgeLoss` accepts ' +
          "today's loss so far, so a daily-loss halt can end the same day (operator)",
        tags: ['kill switch'],
        body: { ...reasonBody, properties: { ...reasonBody.properties, clearsReconciliation: { type: 'boolean' }, acknowledgeLoss: { type: 'boolean' } } },
        response: { 200: ksResponse, ...withConflict },
      },
    },
    (request) => {
      const wasActive = safety.killSwitch.state().active
      const r = execute(request, 'kill_switch.deactivate', {
        reason: request.body.reason,
        clearsReconciliation: request.body.clearsReconciliation === true,
        acknowledgeLoss: request.body.acknowledgeLoss === true,
      })
      if (!r.ok) {
        const blockers = (r.error ?? 'refused').split('; ')
        throw new ApiError(409, 'DEACTIVATION_BLOCKED', `kill switch stays active: ${r.error ?? 'refused'}`, { blockers })
      }
      return { changed: wasActive && !safety.killSwitch.state().active, state: killSwitch(), openOrders: trader.orders.openOrders().length }
    },
  )

  app.post<{ Body: { state: string; strategyId?: string; reason?: string } }>(
    '/trading-state',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Set the trading state of the account or one strategy: ACTIVE, REDUCING, HALTED (operator)',
        tags: ['risk'],
        body: {
          type: 'object',
          required: ['state'],
          additionalProperties: false,
          properties: { state: { type: 'string', enum: [...TRADING_STATES] }, strategyId: { type: 'string', minLength: 1 }, reason: { type: 'string', maxLength: 500 } },
        },
        response: { 200: anyObject, ...withConflict },
      },
    },
    (request) => {
      const r = execute(request, 'trading_state.set', { ...request.body })
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused')
      return r.result
    },
  )

  app.get(
    '/strategies',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "Every strategy of the session: what it runs (name, registered version, parameters), its trading state and size multiplier, its open orders, its positions with realized P&L after fees, and its last signal",
        tags: ['risk'],
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (): StrategiesView => {
      const states = safety.status().tradingStates
      const sizes = trader.risk.positionOverride.snapshot()
      return {
        account: { state: states.account, multiplier: sizes.account },
        strategies: trader.runners.map((r) => {
          const id = r.strategy.id
          const origin = strategyOrigin(r.strategy)
          const last = r.signals.at(-1)
          return {
            id,
            name: origin?.name ?? id,
            version: origin?.version ?? null,
            params: origin?.params ?? {},
            state: states.strategies[id] ?? 'ACTIVE',
            multiplier: sizes.strategies[id] ?? '1',
            openOrders: trader.orders.openOrderCount({ strategyId: id }),
            positions: trader.ledger.strategyPositions(id).map((p) => ({
              venue: p.venue,
              symbol: p.symbol,
              amount: p.amount.toString(),
              averagePrice: p.averagePrice?.toString() ?? null,
              realizedPnl: p.realizedPnl.toString(),
              fees: p.fees.toString(),
              netRealized: p.netPnl.toString(),
            })),
            lastSignal: last === undefined ? null : { name: last.name, at: last.timestamp, detail: last.detail },
          }
        }),
      }
    },
  )

  app.post<{ Body: { multiplier: string | number; strategyId?: string; reason?: string } }>(
    '/position-override',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Set the position size multiplier (0–1) of the account or a strategy (operator)',
        tags: ['risk'],
        body: {
          type: 'object',
          required: ['multiplier'],
          additionalProperties: false,
          properties: { multiplier: { type: ['number', 'string'] }, strategyId: { type: 'string', minLength: 1 }, reason: { type: 'string', maxLength: 500 } },
        },
        response: { 200: anyObject, ...withConflict },
      },
    },
    (request) => {
      const r = execute(request, 'position_override.set', { ...request.body })
      if (!r.ok) throw new ApiError(400, 'VALIDATION_FAILED', `body/multiplier: ${r.error ?? 'refused'}`)
      return r.result
    },
  )
}

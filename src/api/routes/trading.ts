/**
 * @module api/routes/trading
 * Orders, positions, balances and P&L: `GET /orders`, `POST /orders/cancel-all`, `GET /positions`,
 * `POST /positions/flatten`,
 * `GET /exchange/balance`, `GET /pnl?period=`. CCXT field names; decimals as strings.
 */
import type { FastifyInstance } from 'fastify'
import { describeEmulated, emulatedIdentity } from '../../execution/index.js'
import type { EmulatedOrder } from '../../execution/index.js'
import type { Order } from '../../model/index.js'
import { orderTerms } from '../../store/index.js'
import { actorOf } from '../auth.js'
import type { RouteContext } from '../context.js'
import { ApiError } from '../errors.js'
import { PNL_PERIODS, periodPnl } from '../pnl.js'
import type { PnlPeriod } from '../pnl.js'
import { anyObject, emulatedOrderSchema, errorResponses, optionalReasonBody, orderSchema } from '../schemas.js'
import type { EmulatedOrderView, OrderView, OrdersList, PositionView, PositionsList } from '../wire.js'

export function orderView(o: Order): OrderView {
  return {
    ...orderTerms(o),
    filled: o.filled.toString(),
    remaining: o.amount.sub(o.filled).toString(),
    status: o.status,
    state: o.state,
    venueOrderId: o.venueOrderId ?? null,
    timestamp: o.timestamp,
    datetime: new Date(o.timestamp).toISOString(),
  }
}

/** An order Sofia works itself (a trigger or trailing order the venue cannot take): not on the exchange yet. */
export function emulatedView(e: EmulatedOrder): EmulatedOrderView {
  return {
    ...emulatedIdentity(e),
    amount: e.amount,
    price: e.price,
    state: 'emulated',
    triggerPrice: e.triggerPrice,
    triggerDirection: e.direction,
    trailingPercent: e.trailingPercent,
    reduceOnly: e.reduceOnly,
    tag: e.tag,
    description: describeEmulated(e),
    timestamp: e.createdAt,
    datetime: new Date(e.createdAt).toISOString(),
  }
}

export function tradingRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { trader } = ctx.deps.session

  app.get(
    '/orders',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          "Open orders (including those whose cancel is in flight), and `emulated`: trigger and trailing orders Sofia works itself because the venue cannot take them (not on the exchange until they fire; the kill switch and cancel-all drop them)",
        tags: ['orders'],
        response: {
          200: {
            type: 'object',
            properties: {
              count: { type: 'integer' },
              orders: { type: 'array', items: orderSchema },
              emulated: { type: 'array', items: emulatedOrderSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    (): OrdersList => {
      const orders = trader.orders.openOrders().map(orderView)
      return { count: orders.length, orders, emulated: trader.orders.emulator.list().map(emulatedView) }
    },
  )

  app.post<{ Body: { reason?: string } | undefined }>(
    '/orders/cancel-all',
    {
      config: { access: 'operator' },
      schema: {
        summary:
          "Cancel every open order on every venue (operator); trading continues. Answers after the venues settle the cancels (at most 5 s): `cancelled` counts only cancels the venue confirmed; `pending` lists orders still working (their cancels go on being retried)",
        tags: ['orders'],
        body: optionalReasonBody,
        response: {
          200: {
            type: 'object',
            properties: {
              requested: { type: 'integer' },
              cancelled: { type: 'integer' },
              filled: { type: 'integer' },
              rejected: { type: 'integer' },
              pending: { type: 'array', items: { type: 'string' } },
              failed: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const r = trader.safety.execute({ command: 'orders.cancel_all', args: { reason: request.body?.reason ?? '' }, actor: actorOf(request) })
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused')
      const report = await trader.orders.cancelAllConfirmed(undefined, 5_000)
      return {
        requested: report.requested,
        cancelled: report.canceled.length,
        filled: report.filled.length,
        rejected: report.rejected.length,
        pending: report.pending,
        failed: report.errors,
      }
    },
  )

  app.post<{ Body: { reason: string; venue: string; symbol: string; side: string; type: string; amount: string; price?: string; triggerPrice?: string } }>(
    '/orders',
    {
      config: { access: 'operator' },
      schema: {
        summary:
          "An operator's order (the dashboard's ticket), under strategy id `manual`, through the same pre-trade checks as a strategy's (a halt denies it); audited `operator.order` with the token's name and the reason. 409 when it is denied",
        tags: ['orders'],
        body: {
          type: 'object',
          required: ['reason', 'venue', 'symbol', 'side', 'type', 'amount'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' },
            venue: { type: 'string', minLength: 1 },
            symbol: { type: 'string', minLength: 1 },
            side: { type: 'string', enum: ['buy', 'sell'] },
            type: { type: 'string', enum: ['market', 'limit'] },
            amount: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
            price: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
            triggerPrice: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
          },
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const r = trader.safety.execute({ command: 'orders.place', args: { ...request.body }, actor: actorOf(request) })
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused')
      return r.result
    },
  )

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
    '/orders/:id/cancel',
    {
      config: { access: 'operator' },
      schema: {
        summary: "Cancel one order (operator); it is settled by the venue's confirmation (`state` pending_cancel until then); audited `operator.cancel`",
        tags: ['orders'],
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        body: optionalReasonBody,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const r = trader.safety.execute({ command: 'orders.cancel', args: { clientOrderId: request.params.id, reason: request.body?.reason ?? '' }, actor: actorOf(request) })
      if (!r.ok) throw new ApiError(r.error?.startsWith('no order') === true ? 404 : 409, r.error?.startsWith('no order') === true ? 'NOT_FOUND' : 'CONFLICT', r.error ?? 'refused')
      return r.result
    },
  )

  app.get(
    '/positions',
    { config: { access: 'viewer' }, schema: { summary: 'Positions per venue and symbol, and per strategy', tags: ['positions'], response: { 200: anyObject, ...errorResponses } } },
    (): PositionsList => {
      trader.markAll()
      const ledger = trader.ledger
      const view = (strategy: boolean): PositionView[] =>
        (strategy ? ledger.strategyPositions() : ledger.positions())
          .filter((p) => !p.amount.isZero() || p.fills > 0)
          .map((p) => ({
            venue: p.venue,
            symbol: p.symbol,
            ...(strategy ? { strategyId: p.strategyId ?? null } : {}),
            amount: p.amount.toString(),
            averagePrice: p.averagePrice?.toString() ?? null,
            markPrice: ledger.markDecimal(p.venue, p.symbol)?.toString() ?? null,
            unrealizedPnl: ledger.unrealizedPnl(p.venue, p.symbol, strategy ? p.strategyId : undefined)?.toString() ?? null,
            realizedPnl: p.realizedPnl.toString(),
            fees: p.fees.toString(),
            quote: p.quote,
          }))
      return { currency: ledger.reportingCurrency, positions: view(false), strategies: view(true) }
    },
  )

  app.post<{ Body: { reason: string; strategy?: string; symbol?: string } }>(
    '/positions/flatten',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Close positions with reducing market orders, allowed while the kill switch halts trading; audited (operator)',
        tags: ['positions'],
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' },
            strategy: { type: 'string', minLength: 1 },
            symbol: { type: 'string', minLength: 1 },
          },
        },
        response: { 200: anyObject, 409: anyObject, ...errorResponses },
      },
    },
    (request) => {
      const r = trader.safety.execute({ command: 'positions.flatten', args: { ...request.body }, actor: actorOf(request) })
      if (!r.ok) throw new ApiError(409, 'CONFLICT', r.error ?? 'refused', r.result === undefined ? {} : { result: r.result })
      return r.result
    },
  )

  app.get(
    '/exchange/balance',
    { config: { access: 'viewer' }, schema: { summary: 'Balances per venue as the venue reports them (fetchBalance)', tags: ['exchange'], response: { 200: anyObject, ...errorResponses } } },
    async () => {
      const venues: Record<string, Record<string, { free: string; used: string; total: string }>> = {}
      for (const v of trader.venues) {
        const balances = await v.fetchBalance()
        venues[v.id] = Object.fromEntries(
          Object.entries(balances).map(([asset, b]) => [asset, { free: b.free.toString(), used: b.used.toString(), total: b.total.toString() }]),
        )
      }
      return { timestamp: Date.now(), venues }
    },
  )

  app.get<{ Querystring: { period?: PnlPeriod } }>(
    '/pnl',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Realized, unrealized, fees and net P&L over today (default), yesterday or the last 7 days',
        tags: ['pnl'],
        querystring: { type: 'object', additionalProperties: false, properties: { period: { type: 'string', enum: [...PNL_PERIODS] } } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    (request) => periodPnl(trader, request.query.period ?? 'today'),
  )
}

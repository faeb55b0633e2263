/**
 * @module venues/ccxt-venue
 * The CCXT adapter: a `Venue` over a ccxt exchange instance (the real exchange, its sandbox, or the local
 * exchange). Requests map one to one onto ccxt's unified methods; what happens to our orders afterwards is
 * pushed to the listener from ccxt.pro's `watchOrders`/`watchMyTrades` when the exchange has them, with a
 * REST poll as the backstop (and as the only source when it does not).
 *
 * Decisions worth knowing:
 * - Money stays exact: prices, amounts and fees come from the raw payload's strings (`info`) where the
 *   exchange gives them (Binance does), never through ccxt's floats when avoidable.
 * - The client order id goes to the exchange (`clientOrderId` → Binance `newClientOrderId`); orders are
 *   looked up and cancelled by it. `createOrder` is never retried: a lost response is the order manager's to
 *   resolve with `fetchOrder(clientOrderId)`. A client id this adapter has already sent is refused locally.
 * - Orders are validated against the instrument before sending (tick, step, minimums): ccxt would otherwise
 *   round an off-tick price silently.
 * - Reads (`fetch*`) retry network failures with exponential backoff, honouring Retry-After; a cancel
 *   retries, then looks the order up (a cancel whose answer was lost has still cancelled).
 * - Each fill is delivered once (deduplicated by trade id) and before the order update that reflects it:
 *   an order update that shows more filled than the fills delivered so far waits for them (and fetches them
 *   if the stream does not bring them).
 * - Trade ids are the exchange's. Binance numbers trades per symbol, so with more than one symbol they are
 *   qualified as `<id>@<MARKETID>` to stay unique per venue (the store's key).
 */
import type { Exchange, Market, Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt'
import type { Component } from '../engine/index.js'
import {
  BadSymbol,
  InvalidOrder,
  NetworkError,
  OrderNotFound,
  RateLimitExceeded,
  ZERO,
  dec,
  fillKey,
  makeInstrument,
} from '../model/index.js'
import type { Balances, Decimal, Instrument, OrderStatus, Trade } from '../model/index.js'
import { mapCcxtError } from './ccxt-errors.js'
import { TICK_SIZE, closeCcxtExchange } from './ccxt-exchange.js'
import type { OrderRequest, Venue, VenueFeature, VenueFeatureOrder, VenueListener, VenueOrder } from './venue.js'

export interface RetryPolicy {
  /** Attempts in all (default 4). */
  readonly attempts?: number
  /** First backoff, ms (default 200), doubled each time up to `maxMs` (default 5 000). */
  readonly baseMs?: number
  readonly maxMs?: number
}

/** The counter the adapter bumps on each user-stream reconnect (`ws_reconnects_total{venue}`). */
export interface ReconnectCounter {
  inc(labels: { venue: string }): void
}

export interface CcxtVenueOptions {
  readonly id: string
  readonly exchange: Exchange
  /** Symbols traded (default: every spot market the exchange lists). */
  readonly symbols?: readonly string[]
  /** Use the exchange's WebSocket user stream (default: when it has watchOrders and watchMyTrades). */
  readonly watch?: boolean
  /** REST poll interval, ms: the update source without a stream (default 1 000), a backstop with one (default 3 000). */
  readonly pollMs?: number
  readonly retry?: RetryPolicy
  /** Strings never to show in an error message (the keys). */
  readonly secrets?: readonly string[]
  readonly reconnects?: ReconnectCounter
  /** Where background failures (stream errors, poll errors) are reported. */
  readonly onError?: (message: string) => void
  /** Fills asked per `fetchMyTrades` request (default: Binance 1 000, others 500). */
  readonly tradePageSize?: number
}

interface Tracked {
  readonly clientOrderId: string
  readonly symbol: string
  venueOrderId: string | undefined
  timestamp: number
  /** Σ amount of the fills delivered. */
  traded: Decimal
  last: { status: OrderStatus; filled: Decimal } | undefined
  /** The newest update that shows more filled than delivered: held until its fills are. */
  pending: VenueOrder | undefined
  backfill: NodeJS.Timeout | undefined
  /** Fills the scheduled backfill was told of (a create answer's): it is not needed once all are delivered. */
  backfillKnown: readonly Trade[]
}

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['closed', 'canceled', 'expired', 'rejected'])
const STATUSES: ReadonlySet<string> = new Set(['open', 'closed', 'canceled', 'expired', 'rejected'])

/** An exact Decimal from a raw string field, else from ccxt's number. */
function exact(raw: unknown, fallback: unknown): Decimal | undefined {
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return dec(raw)
  if (typeof raw === 'number' && Number.isFinite(raw)) return dec(String(raw))
  if (typeof fallback === 'string' && fallback.trim() !== '' && Number.isFinite(Number(fallback))) return dec(fallback)
  if (typeof fallback === 'number' && Number.isFinite(fallback)) return dec(String(fallback))
  return undefined
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class CcxtVenue implements Venue, Component {
  readonly id: string
  readonly name: string
  readonly exchange: Exchange
  private readonly markets = new Map<string, { inst: Instrument; market: Market }>()
  private readonly listeners: VenueListener[] = []
  private readonly tracked = new Map<string, Tracked>()
  private readonly byVenueOrderId = new Map<string, string>()
  private readonly seenTrades = new Set<string>()
  /** Client ids sent by this adapter: a second send of one is refused without reaching the exchange. */
  private readonly sent = new Set<string>()
  private readonly retry: Required<RetryPolicy>
  private readonly secrets: readonly string[]
  private readonly watching: boolean
  private readonly pollMs: number
  private qualifyTradeIds: boolean
  /** Fills per request: the most the exchange returns (Binance 1 000). */
  private readonly tradePageSize: number
  private closed = false
  private poller: NodeJS.Timeout | undefined
  private polling = false
  /** Stream reconnects so far (also counted in `reconnects`). */
  reconnectCount = 0

  private constructor(private readonly options: CcxtVenueOptions) {
    this.id = options.id
    this.name = `venue:${options.id}`
    this.exchange = options.exchange
    this.retry = { attempts: options.retry?.attempts ?? 4, baseMs: options.retry?.baseMs ?? 200, maxMs: options.retry?.maxMs ?? 5_000 }
    this.secrets = [...(options.secrets ?? []), options.exchange.apiKey ?? '', options.exchange.secret ?? ''].filter((s) => s !== '')
    const has = options.exchange.has as Record<string, unknown>
    this.watching = options.watch ?? (has['watchOrders'] === true && has['watchMyTrades'] === true)
    this.pollMs = options.pollMs ?? (this.watching ? 3_000 : 1_000)
    this.qualifyTradeIds = false
    this.tradePageSize = options.tradePageSize ?? (options.exchange.id === 'binance' ? 1_000 : 500)
  }

  /** Loads the markets (retrying network failures), opens the user stream and starts the backstop poll. */
  static async connect(options: CcxtVenueOptions): Promise<CcxtVenue> {
    const venue = new CcxtVenue(options)
    await venue.loadMarkets()
    venue.qualifyTradeIds = venue.markets.size > 1
    if (venue.watching) await venue.startStreams()
    venue.poller = setInterval(() => void venue.poll(), venue.pollMs)
    venue.poller.unref()
    return venue
  }

  /**
   * The exchange accepts a signed request until `timestamp + recvWindow` of its own clock (ccxt sends its
   * `recvWindow` option, 10 s by default on Binance); one second is added for clock skew.
   */
  acceptWindowMs(): number {
    const options = (this.exchange.options ?? {}) as Record<string, unknown>
    const recv = typeof options['recvWindow'] === 'number' ? options['recvWindow'] : 10_000
    return recv + 1_000
  }

  // ---- reference data -----------------------------------------------------------------------------------

  private async loadMarkets(): Promise<void> {
    const markets = await this.read('loadMarkets', () => this.exchange.loadMarkets())
    const wanted = this.options.symbols
    for (const m of Object.values(markets)) {
      if (m === undefined || (wanted === undefined ? m.spot !== true || m.active === false : !wanted.includes(m.symbol))) continue
      this.markets.set(m.symbol, { inst: instrumentOf(m, this.exchange.precisionMode ?? TICK_SIZE), market: m })
    }
    for (const s of wanted ?? []) if (!this.markets.has(s)) throw new BadSymbol(`${this.id} does not list ${s}`)
  }

  instruments(): readonly Instrument[] {
    return [...this.markets.values()].map((m) => m.inst)
  }

  instrument(symbol: string): Instrument {
    const m = this.markets.get(symbol)
    if (m === undefined) throw new BadSymbol(`${this.id} does not list ${symbol}`)
    return m.inst
  }

  subscribe(listener: VenueListener): void {
    this.listeners.push(listener)
  }

  /**
   * What the exchange does natively, from ccxt's `has` and, where the exchange lists them (Binance's
   * `orderTypes`), the market's order types: an order needing anything else is denied before it is sent.
   */
  supports(feature: VenueFeature, order?: VenueFeatureOrder): boolean {
    const has = this.exchange.has as Record<string, unknown>
    const first = (order !== undefined ? this.markets.get(order.symbol) : undefined) ?? this.markets.values().next().value
    const info = first?.market?.info as { orderTypes?: unknown; allowTrailingStop?: unknown; ocoAllowed?: unknown; filters?: unknown } | undefined
    const listed = info?.orderTypes
    const types = Array.isArray(listed) ? (listed as unknown[]).map(String) : undefined
    switch (feature) {
      case 'timeInForce':
        return true
      case 'postOnly':
        return has['createPostOnlyOrder'] !== false && (types === undefined || types.includes('LIMIT_MAKER'))
      case 'trigger':
        return (
          (has['createTriggerOrder'] === true || has['createStopOrder'] === true) &&
          (types === undefined || types.some((t) => t.startsWith('STOP') || t.startsWith('TAKE_PROFIT')))
        )
      case 'trailing': {
        // Binance spot says so per symbol (`allowTrailingStop`; trailingDelta on its stop types); others by type.
        const allowed =
          has['createTrailingPercentOrder'] === true &&
          (typeof info?.allowTrailingStop === 'boolean' ? info.allowTrailingStop : types === undefined || types.some((t) => t.includes('TRAILING')))
        return allowed && (order === undefined || takesTrailing(order, info?.filters))
      }
      case 'oco':
        // Binance spot's order lists (POST /api/v3/orderList/oco), where the symbol allows them.
        return typeof (this.exchange as unknown as Record<string, unknown>)['privatePostOrderListOco'] === 'function' && info?.ocoAllowed === true
    }
  }

  // ---- requests -----------------------------------------------------------------------------------------

  async createOrder(req: OrderRequest): Promise<VenueOrder> {
    const inst = this.instrument(req.symbol)
    if (this.sent.has(req.clientOrderId)) {
      throw new InvalidOrder(`${this.id}: duplicate clientOrderId ${req.clientOrderId}; the venue already has that order`)
    }
    const what = `${this.id}: createOrder ${req.side} ${req.type} ${req.amount.toString()} ${req.symbol}`
    const invalid = validate(inst, req, what)
    if (invalid !== undefined) {
      this.rejected(req, invalid.message)
      throw invalid
    }
    this.sent.add(req.clientOrderId)
    this.track(req.clientOrderId, req.symbol, Date.now())
    let raw: CcxtOrder
    try {
      raw = await this.exchange.createOrder(req.symbol, req.type, req.side, req.amount.toNumber(), req.price?.toNumber(), {
        clientOrderId: req.clientOrderId,
        ...orderParams(req),
      })
    } catch (error) {
      const err = mapCcxtError(error, {
        what,
        secrets: this.secrets,
        headers: this.exchange.last_response_headers,
        currency: req.side === 'buy' ? inst.quote : inst.base,
        isOrder: true,
      })
      // Lost on the way (or refused as a duplicate of one the exchange has): no update about it here.
      if (!(err instanceof NetworkError) && !/duplicate/i.test(err.message)) this.rejected(req, err.message)
      throw err
    }
    const view = this.orderView(raw, req)
    const fills = (raw.trades ?? []).map((t) => this.tradeOf(t, view)).filter((t): t is Trade => t !== undefined)
    // The stream normally brings these fills first; if not, they are fetched with exact times, else taken from here.
    if (fills.some((f) => !this.seenTrades.has(fillKey(f.venue, f.id, f.side)))) this.scheduleBackfill(this.trackedOf(view), fills)
    this.onOrderUpdate(view)
    return view
  }

  /**
   * Two exits of one quantity as Binance's OCO order list: the one whose trigger is above the market is the
   * list's `above` leg, the other its `below` leg; each keeps its client order id. Answers as `createOrder`.
   */
  async createOrderList(legs: readonly [OrderRequest, OrderRequest], listClientOrderId: string): Promise<VenueOrder[]> {
    const [first, second] = legs
    const inst = this.instrument(first.symbol)
    const what = `${this.id}: createOrderList ${first.side} ${first.amount.toString()} ${first.symbol} (${first.clientOrderId}, ${second.clientOrderId})`
    for (const req of legs) {
      if (this.sent.has(req.clientOrderId)) throw new InvalidOrder(`${this.id}: duplicate clientOrderId ${req.clientOrderId}; the venue already has that order`)
      const invalid =
        req.symbol !== first.symbol || req.side !== first.side || !req.amount.eq(first.amount) || req.options?.triggerPrice === undefined
          ? new InvalidOrder(`${what}: an order list takes two trigger orders of one symbol, side and amount`)
          : validate(inst, req, what)
      if (invalid !== undefined) {
        for (const r of legs) this.rejected(r, invalid.message)
        throw invalid
      }
    }
    const params: Record<string, unknown> = {
      symbol: this.exchange.marketId(first.symbol),
      side: first.side.toUpperCase(),
      quantity: this.exchange.amountToPrecision(first.symbol, first.amount.toNumber()),
      listClientOrderId,
      newOrderRespType: 'FULL',
    }
    for (const req of legs) {
      const o = req.options!
      const where = o.triggerDirection === 'above' ? 'above' : 'below'
      // A stop is the leg that fires against the position (a sell falling to it); the other is a take-profit.
      const stopLike = (o.triggerDirection === 'below') === (req.side === 'sell')
      const kind = stopLike ? 'STOP_LOSS' : 'TAKE_PROFIT'
      params[`${where}Type`] = req.type === 'limit' ? `${kind}_LIMIT` : kind
      params[`${where}StopPrice`] = this.exchange.priceToPrecision(req.symbol, o.triggerPrice!.toNumber())
      params[`${where}ClientOrderId`] = req.clientOrderId
      if (req.type === 'limit') {
        params[`${where}Price`] = this.exchange.priceToPrecision(req.symbol, req.price!.toNumber())
        params[`${where}TimeInForce`] = 'GTC'
      }
    }
    if (params['aboveType'] === undefined || params['belowType'] === undefined) {
      const invalid = new InvalidOrder(`${what}: an order list needs one trigger above the market and one below`)
      for (const r of legs) this.rejected(r, invalid.message)
      throw invalid
    }
    const now = Date.now()
    for (const req of legs) {
      this.sent.add(req.clientOrderId)
      this.track(req.clientOrderId, req.symbol, now)
    }
    let answer: { orderReports?: unknown[] }
    try {
      answer = (await (this.exchange as unknown as { privatePostOrderListOco(p: Record<string, unknown>): Promise<{ orderReports?: unknown[] }> }).privatePostOrderListOco(params))
    } catch (error) {
      const err = mapCcxtError(error, { what, secrets: this.secrets, headers: this.exchange.last_response_headers, currency: first.side === 'buy' ? inst.quote : inst.base, isOrder: true })
      if (!(err instanceof NetworkError) && !/duplicate/i.test(err.message)) for (const r of legs) this.rejected(r, err.message)
      throw err
    }
    const market = this.markets.get(first.symbol)!.market
    const views = (answer.orderReports ?? []).map((report) => {
      const raw = this.exchange.parseOrder(report as Record<string, unknown>, market)
      const req = legs.find((r) => r.clientOrderId === raw.clientOrderId)
      return this.orderView(raw, req)
    })
    for (const view of views) this.onOrderUpdate(view)
    return views
  }

  async cancelOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    this.instrument(symbol)
    const what = `${this.id}: cancelOrder ${clientOrderId} ${symbol}`
    let lastError: Error | undefined
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      try {
        const raw = await this.exchange.cancelOrder('', symbol, { origClientOrderId: clientOrderId, clientOrderId })
        const view = this.orderView(raw, undefined, symbol, clientOrderId)
        this.onOrderUpdate(view)
        return view
      } catch (error) {
        const err = this.mapped(error, what)
        if (err instanceof OrderNotFound && attempt > 1) {
          // An earlier attempt may have cancelled it with the answer lost: the order says.
          const found = await this.fetchOrder(clientOrderId, symbol)
          if (found.status === 'canceled') return found
          throw err
        }
        if (!(err instanceof NetworkError)) throw err
        lastError = err
        await this.backoff(attempt, err)
      }
    }
    // Still unanswered: look the order up before giving up.
    const found = await this.fetchOrder(clientOrderId, symbol).catch(() => undefined)
    if (found !== undefined && found.status === 'canceled') return found
    throw lastError ?? new NetworkError(`${what}: no answer`)
  }

  async fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    this.instrument(symbol)
    const raw = await this.read(`fetchOrder ${clientOrderId} ${symbol}`, () =>
      this.exchange.fetchOrder('', symbol, { origClientOrderId: clientOrderId, clientOrderId }),
    )
    const view = this.orderView(raw, undefined, symbol, clientOrderId)
    if (this.sent.has(clientOrderId) || this.tracked.has(clientOrderId)) this.trackedOf(view)
    return view
  }

  async fetchOpenOrders(symbol?: string): Promise<VenueOrder[]> {
    if (symbol !== undefined && !this.markets.has(symbol)) return []
    const raw = await this.read(`fetchOpenOrders ${symbol ?? ''}`, () => this.exchange.fetchOpenOrders(symbol))
    return raw.filter((o) => o.symbol !== undefined && this.markets.has(o.symbol)).map((o) => this.orderView(o, undefined, o.symbol))
  }

  /**
   * Our fills, oldest first, read until the exchange has no more: with `since`, every fill at or after it (the
   * first `limit` when given); without `since`, the last `limit` when given, else the whole history. Without a
   * symbol, every traded symbol is asked (Binance needs one per request). Pages are never silently cut short:
   * an exchange answers at most one page (Binance 1 000 fills) per request, so the adapter keeps asking.
   */
  async fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]> {
    const symbols = symbol === undefined ? [...this.markets.keys()] : this.markets.has(symbol) ? [symbol] : []
    let out: Trade[] = []
    for (const s of symbols) {
      const raw = await this.rawTrades(s, since, limit)
      for (const t of raw) {
        const trade = await this.tradeResolved(t)
        if (trade !== undefined && (since === undefined || trade.timestamp >= since)) out.push(trade)
      }
    }
    out.sort((a, b) => a.timestamp - b.timestamp)
    if (limit !== undefined) out = since === undefined ? out.slice(Math.max(0, out.length - limit)) : out.slice(0, limit)
    return out
  }

  /**
   * One symbol's raw fills, every page. Binance pages by trade id (`fromId`): the first page from `since` (or
   * from the first trade when the whole history is asked), then from one past the last id until a page comes
   * back short. Other exchanges page by time: the next page starts at the last page's last timestamp (trades
   * sharing that millisecond are told apart by id).
   */
  private async rawTrades(symbol: string, since: number | undefined, limit: number | undefined): Promise<CcxtTrade[]> {
    const pageSize = this.tradePageSize
    if (since === undefined && limit !== undefined) {
      return this.read(`fetchMyTrades ${symbol}`, () => this.exchange.fetchMyTrades(symbol, undefined, Math.min(limit, pageSize)))
    }
    const out: CcxtTrade[] = []
    const seen = new Set<string>()
    const add = (page: readonly CcxtTrade[]): number => {
      let fresh = 0
      for (const t of page) {
        // The id with the side: a self-trade is one trade id with two fills of ours, a buy and a sell.
        const id = `${str(t.id) ?? `${t.timestamp}:${t.order}:${t.amount}`}:${t.side}`
        if (seen.has(id)) continue
        seen.add(id)
        out.push(t)
        fresh++
      }
      return fresh
    }
    const enough = (): boolean => limit !== undefined && out.length >= limit
    if (this.exchange.id === 'binance') {
      let page = await this.read(`fetchMyTrades ${symbol}`, () =>
        since === undefined
          ? this.exchange.fetchMyTrades(symbol, undefined, pageSize, { fromId: 0 })
          : this.exchange.fetchMyTrades(symbol, since, pageSize),
      )
      add(page)
      while (page.length >= pageSize && !enough()) {
        const lastId = page.reduce((m, t) => Math.max(m, Number(str(t.id) ?? -1)), -1)
        if (!(lastId >= 0)) throw new NetworkError(`${this.id}: fetchMyTrades ${symbol}: a full page without trade ids; cannot page on`)
        // From the last id itself, not one past it: a page may end between the two fills of a self-trade,
        // which share their id. The overlap (one or two fills already seen) is dropped by add().
        page = await this.read(`fetchMyTrades ${symbol} fromId ${lastId}`, () => this.exchange.fetchMyTrades(symbol, undefined, pageSize, { fromId: lastId }))
        if (add(page) === 0) break
      }
      return out
    }
    let cursor = since ?? 0
    let size = pageSize
    for (;;) {
      const from = cursor
      const page = await this.read(`fetchMyTrades ${symbol}`, () => this.exchange.fetchMyTrades(symbol, from, size))
      const fresh = add(page)
      if (page.length < size || enough()) return out
      const last = page.reduce((m, t) => Math.max(m, t.timestamp ?? -Infinity), -Infinity)
      if (fresh === 0) {
        // A full page of one millisecond, all seen: only a bigger page reaches past it. Skipping ahead would
        // silently lose fills.
        size *= 2
        if (size > pageSize * 64) throw new NetworkError(`${this.id}: more than ${size / 2} fills at ${new Date(last).toISOString()}: cannot page past them`)
        continue
      }
      size = pageSize
      cursor = last
    }
  }

  async fetchBalance(): Promise<Balances> {
    const raw = await this.read('fetchBalance', () => this.exchange.fetchBalance())
    const out: Record<string, { free: Decimal; used: Decimal; total: Decimal }> = {}
    const info = (raw.info ?? {}) as Record<string, unknown>
    const rows = info['balances']
    if (Array.isArray(rows)) {
      // Binance: exact strings per asset.
      for (const r of rows as Record<string, unknown>[]) {
        const asset = str(r['asset'])
        const free = exact(r['free'], undefined)
        const used = exact(r['locked'], undefined)
        if (asset === undefined || free === undefined || used === undefined) continue
        const code = this.exchange.safeCurrencyCode(asset) ?? asset
        out[code] = { free, used, total: free.add(used) }
      }
      return out
    }
    const free = (raw.free ?? {}) as unknown as Record<string, unknown>
    const used = (raw.used ?? {}) as unknown as Record<string, unknown>
    for (const code of Object.keys(free)) {
      const f = exact(free[code], undefined) ?? ZERO
      const u = exact(used[code], undefined) ?? ZERO
      out[code] = { free: f, used: u, total: f.add(u) }
    }
    return out
  }

  async fetchTime(): Promise<number> {
    const t = await this.read('fetchTime', () => this.exchange.fetchTime())
    if (typeof t !== 'number') throw new NetworkError(`${this.id}: fetchTime returned no time`)
    return t
  }

  /** Stops the streams and the poll, and closes the exchange's sockets. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.poller !== undefined) clearInterval(this.poller)
    for (const t of this.tracked.values()) if (t.backfill !== undefined) clearTimeout(t.backfill)
    await closeCcxtExchange(this.exchange)
  }

  // ---- retries and errors -------------------------------------------------------------------------------

  private mapped(error: unknown, what: string): Error {
    return mapCcxtError(error, { what, secrets: this.secrets, headers: this.exchange.last_response_headers })
  }

  /** A safe (read-only) call: network failures are retried with backoff; other errors are mapped and thrown. */
  private async read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (error) {
        const err = this.mapped(error, `${this.id}: ${what}`)
        if (!(err instanceof NetworkError) || attempt >= this.retry.attempts || this.closed) throw err
        await this.backoff(attempt, err)
      }
    }
  }

  private async backoff(attempt: number, err: Error): Promise<void> {
    const exp = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1))
    const wait = err instanceof RateLimitExceeded && err.retryAfterMs !== undefined ? Math.max(exp, err.retryAfterMs) : exp
    await sleep(wait)
  }

  // ---- pushed updates -----------------------------------------------------------------------------------

  private async startStreams(): Promise<void> {
    void this.streamLoop('orders', async () => {
      const orders = await this.exchange.watchOrders()
      for (const o of orders) if (o.symbol !== undefined && this.markets.has(o.symbol)) this.onOrderUpdate(this.orderView(o, undefined, o.symbol))
    })
    void this.streamLoop('trades', async () => {
      const trades = await this.exchange.watchMyTrades()
      for (const t of trades) {
        const trade = await this.tradeResolved(t)
        if (trade !== undefined) this.onTradeUpdate(trade)
      }
    })
    // Binance: wait for the user stream's subscription, so updates of the first orders are not missed.
    const auth = (this.exchange as unknown as { authenticate?: (p: object) => Promise<void> }).authenticate
    if (this.exchange.id === 'binance' && typeof auth === 'function') {
      await Promise.race([auth.call(this.exchange, { type: 'spot' }).catch(() => undefined), sleep(3_000)])
    }
  }

  private async streamLoop(name: string, step: () => Promise<void>): Promise<void> {
    let failures = 0
    while (!this.closed) {
      try {
        await step()
        failures = 0
      } catch (error) {
        if (this.closed) return
        failures++
        this.reconnectCount++
        this.options.reconnects?.inc({ venue: this.id })
        this.options.onError?.(`${this.id}: ${name} stream: ${this.mapped(error, 'stream').message}; reconnecting`)
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6)))
        // Whatever happened while the stream was down comes from REST.
        void this.poll()
      }
    }
  }

  /** The backstop: every tracked working order is checked against the exchange; missing fills are fetched. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return
    this.polling = true
    try {
      const bySymbol = new Map<string, Tracked[]>()
      for (const t of this.tracked.values()) {
        if (t.last !== undefined && TERMINAL.has(t.last.status) && t.pending === undefined) continue
        const list = bySymbol.get(t.symbol) ?? []
        list.push(t)
        bySymbol.set(t.symbol, list)
      }
      for (const [symbol, list] of bySymbol) {
        const open = new Map((await this.fetchOpenOrders(symbol)).map((o) => [o.clientOrderId, o]))
        for (const t of list) {
          const o = open.get(t.clientOrderId) ?? (await this.fetchOrder(t.clientOrderId, symbol).catch(() => undefined))
          if (o === undefined) continue
          if (o.filled.gt(t.traded)) await this.fetchFills(t)
          this.onOrderUpdate(o)
        }
      }
    } catch (error) {
      this.options.onError?.(`${this.id}: poll failed: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      this.polling = false
    }
  }

  private trackedOf(o: { clientOrderId: string; symbol: string; id?: string; timestamp?: number }): Tracked {
    const t = this.track(o.clientOrderId, o.symbol, o.timestamp ?? Date.now())
    if (o.id !== undefined && o.id !== '' && t.venueOrderId === undefined) {
      t.venueOrderId = o.id
      this.byVenueOrderId.set(o.id, o.clientOrderId)
    }
    return t
  }

  private track(clientOrderId: string, symbol: string, timestamp: number): Tracked {
    let t = this.tracked.get(clientOrderId)
    if (t === undefined) {
      t = { clientOrderId, symbol, venueOrderId: undefined, timestamp, traded: ZERO, last: undefined, pending: undefined, backfill: undefined, backfillKnown: [] }
      this.tracked.set(clientOrderId, t)
    }
    return t
  }

  private onOrderUpdate(o: VenueOrder): void {
    if (o.clientOrderId === '') return
    const t = this.trackedOf(o)
    if (o.filled.gt(t.traded)) {
      if (t.pending === undefined || o.filled.gte(t.pending.filled)) t.pending = o
      this.scheduleBackfill(t, [])
      return
    }
    this.emitOrder(t, o)
  }

  private onTradeUpdate(trade: Trade): void {
    const key = fillKey(trade.venue, trade.id, trade.side)
    if (this.seenTrades.has(key)) return
    this.seenTrades.add(key)
    const t = this.track(trade.clientOrderId, trade.symbol, trade.timestamp)
    t.traded = t.traded.add(trade.amount)
    for (const l of this.listeners) l.onTrade(trade)
    if (t.pending !== undefined && t.pending.filled.lte(t.traded)) {
      const p = t.pending
      t.pending = undefined
      this.emitOrder(t, p)
    }
    // The stream delivered what the backfill was waiting for (the usual case): no REST call needed.
    if (t.backfill !== undefined && t.pending === undefined && t.backfillKnown.every((f) => this.seenTrades.has(fillKey(f.venue, f.id, f.side)))) {
      clearTimeout(t.backfill)
      t.backfill = undefined
    }
  }

  private emitOrder(t: Tracked, o: VenueOrder): void {
    const last = t.last
    if (last !== undefined) {
      if (TERMINAL.has(last.status)) return
      if (last.status === o.status && last.filled.eq(o.filled)) return
      if (o.filled.lt(last.filled)) return
    }
    t.last = { status: o.status, filled: o.filled }
    for (const l of this.listeners) l.onOrder(o)
  }

  /**
   * Fills not delivered a moment after an update showed them (or a create answer carried them) are fetched
   * with REST; failing that, the answer's own fills are used.
   */
  private scheduleBackfill(t: Tracked, known: readonly Trade[]): void {
    if (t.backfill !== undefined || this.closed) return
    t.backfillKnown = known
    t.backfill = setTimeout(() => {
      t.backfill = undefined
      void (async () => {
        try {
          await this.fetchFills(t)
        } catch (error) {
          this.options.onError?.(`${this.id}: fetching fills of ${t.clientOrderId} failed: ${error instanceof Error ? error.message : String(error)}`)
        }
        for (const f of known) this.onTradeUpdate(f)
        if (t.pending !== undefined && t.pending.filled.gt(t.traded)) this.scheduleBackfill(t, [])
      })()
    }, 250)
  }

  private async fetchFills(t: Tracked): Promise<void> {
    const params: Record<string, unknown> = t.venueOrderId !== undefined && this.exchange.id === 'binance' ? { orderId: t.venueOrderId } : {}
    let raw: CcxtTrade[]
    if (params['orderId'] !== undefined) {
      // One order's fills, every page (an order can trade more often than one page holds).
      raw = []
      let page = await this.read(`fetchMyTrades ${t.symbol}`, () => this.exchange.fetchMyTrades(t.symbol, undefined, this.tradePageSize, params))
      raw.push(...page)
      while (page.length >= this.tradePageSize) {
        const lastId = page.reduce((m, x) => Math.max(m, Number(str(x.id) ?? -1)), -1)
        if (!(lastId >= 0)) break
        page = await this.read(`fetchMyTrades ${t.symbol}`, () => this.exchange.fetchMyTrades(t.symbol, undefined, this.tradePageSize, { ...params, fromId: lastId + 1 }))
        raw.push(...page)
      }
    } else raw = await this.rawTrades(t.symbol, t.timestamp - 60_000, undefined)
    for (const r of raw) {
      const trade = await this.tradeResolved(r)
      if (trade !== undefined && trade.clientOrderId === t.clientOrderId) this.onTradeUpdate(trade)
    }
  }

  // ---- payloads -----------------------------------------------------------------------------------------

  private rejected(req: OrderRequest, reason: string): void {
    const o: VenueOrder = {
      id: '',
      clientOrderId: req.clientOrderId,
      timestamp: Date.now(),
      symbol: req.symbol,
      type: req.type,
      side: req.side,
      price: req.price,
      amount: req.amount,
      filled: ZERO,
      remaining: req.amount,
      cost: ZERO,
      status: 'rejected',
      reason,
    }
    for (const l of this.listeners) l.onOrder(o)
  }

  private orderView(o: CcxtOrder, req?: OrderRequest, symbol?: string, clientOrderId?: string): VenueOrder {
    const info = (o.info ?? {}) as Record<string, unknown>
    const sym = o.symbol ?? req?.symbol ?? symbol ?? ''
    const cid = str(info['origClientOrderId']) ?? o.clientOrderId ?? str(info['clientOrderId']) ?? str(info['c']) ?? req?.clientOrderId ?? clientOrderId ?? ''
    const type = o.type === 'market' ? 'market' : o.type === 'limit' ? 'limit' : (req?.type ?? 'limit')
    const amount = exact(info['origQty'] ?? info['q'], o.amount) ?? req?.amount ?? ZERO
    const filled = exact(info['executedQty'] ?? info['z'], o.filled) ?? ZERO
    const cost = exact(info['cummulativeQuoteQty'] ?? info['Z'], o.cost) ?? ZERO
    const rawPrice = type === 'market' ? undefined : exact(info['price'] ?? info['p'], o.price)
    const price = rawPrice !== undefined && rawPrice.gt(0) ? rawPrice : type === 'limit' ? req?.price : undefined
    let status: OrderStatus = STATUSES.has(o.status ?? '') ? (o.status as OrderStatus) : 'open'
    if (status === 'closed' && filled.lt(amount) && type === 'market') status = 'canceled'
    const id = str(o.id) ?? ''
    const view: VenueOrder = {
      id,
      clientOrderId: cid,
      timestamp: o.timestamp ?? Date.now(),
      symbol: sym,
      type,
      side: o.side === 'sell' ? 'sell' : o.side === 'buy' ? 'buy' : (req?.side ?? 'buy'),
      price,
      amount,
      filled,
      remaining: amount.sub(filled),
      cost,
      status,
    }
    if (id !== '' && cid !== '') this.byVenueOrderId.set(id, cid)
    return view
  }

  /** A ccxt trade as a Sofia fill; undefined when it is not one of ours or not on a traded symbol. */
  private tradeOf(t: CcxtTrade, order?: VenueOrder): Trade | undefined {
    const info = (t.info ?? {}) as Record<string, unknown>
    const symbol = t.symbol ?? order?.symbol
    if (symbol === undefined || !this.markets.has(symbol)) return undefined
    const inst = this.markets.get(symbol)!.inst
    const orderId = str(t.order) ?? str(info['orderId']) ?? str(info['i']) ?? order?.id ?? ''
    const clientOrderId = str(info['c']) ?? order?.clientOrderId ?? this.byVenueOrderId.get(orderId)
    const rawId = str(t.id) ?? str(info['tradeId']) ?? str(info['t'])
    if (clientOrderId === undefined || rawId === undefined) return undefined
    const price = exact(info['price'] ?? info['L'], t.price)
    const amount = exact(info['qty'] ?? info['l'], t.amount)
    if (price === undefined || amount === undefined || !amount.gt(0)) return undefined
    const feeCost = exact(info['commission'] ?? info['n'], t.fee?.cost) ?? ZERO
    const feeCurrency = str(info['commissionAsset']) ?? str(info['N']) ?? t.fee?.currency ?? inst.quote
    const isMaker = t.takerOrMaker === 'maker' || info['isMaker'] === true || info['m'] === true
    const side = t.side === 'sell' || t.side === 'buy' ? t.side : (order?.side ?? 'buy')
    return {
      id: this.qualifyTradeIds ? `${rawId}@${this.markets.get(symbol)!.market!.id}` : rawId,
      order: orderId,
      clientOrderId,
      venue: this.id,
      symbol,
      timestamp: t.timestamp ?? order?.timestamp ?? Date.now(),
      side,
      price,
      amount,
      cost: price.mul(amount),
      fee: { cost: feeCost, currency: this.exchange.safeCurrencyCode(feeCurrency) ?? feeCurrency },
      takerOrMaker: isMaker ? 'maker' : 'taker',
    }
  }

  /** Like tradeOf, looking up the client id of an order this adapter has not seen (after a restart). */
  private async tradeResolved(t: CcxtTrade): Promise<Trade | undefined> {
    const direct = this.tradeOf(t)
    if (direct !== undefined) return direct
    const orderId = str(t.order)
    if (orderId === undefined || t.symbol === undefined || !this.markets.has(t.symbol)) return undefined
    try {
      const o = await this.exchange.fetchOrder(orderId, t.symbol)
      const view = this.orderView(o, undefined, t.symbol)
      return this.tradeOf(t, view)
    } catch {
      return undefined
    }
  }
}

/** An Instrument from a ccxt market (TICK_SIZE precision: tick and step sizes; else decimal places). */
export function instrumentOf(market: Market, precisionMode: number): Instrument {
  if (market === undefined) throw new BadSymbol('no market')
  const m = market
  const size = (p: number | undefined, name: string): string => {
    if (p === undefined || !Number.isFinite(p) || p <= 0) throw new BadSymbol(`market ${m.symbol}: no ${name} precision`)
    return precisionMode === TICK_SIZE ? String(p) : dec(10).pow(-p).toString()
  }
  const stepSize = size(m.precision.amount, 'amount')
  const min = (v: number | undefined): string | undefined => (v === undefined || v === null || !Number.isFinite(v) ? undefined : String(v))
  const minAmount = min(m.limits.amount?.min)
  const minCost = min(m.limits.cost?.min)
  return makeInstrument({
    symbol: m.symbol,
    tickSize: size(m.precision.price, 'price'),
    stepSize,
    ...(minAmount !== undefined && Number(minAmount) > 0 ? { minAmount } : {}),
    ...(minCost !== undefined ? { minCost } : {}),
    ...(m.maker !== undefined ? { makerFee: String(m.maker) } : {}),
    ...(m.taker !== undefined ? { takerFee: String(m.taker) } : {}),
  })
}

/** Structural checks against the instrument (what ccxt would otherwise round away); undefined when fine. */
function validate(inst: Instrument, req: OrderRequest, what: string): InvalidOrder | undefined {
  if (!req.amount.gt(0)) return new InvalidOrder(`${what}: amount must be positive`)
  if (!req.amount.mod(inst.stepSize).isZero()) return new InvalidOrder(`${what}: amount is not a multiple of the step ${inst.stepSize.toString()}`)
  if (req.amount.lt(inst.minAmount)) return new InvalidOrder(`${what}: amount below the minimum ${inst.minAmount.toString()}`)
  if (req.type === 'limit') {
    const price = req.price
    if (price === undefined) return new InvalidOrder(`${what}: a limit order needs a price`)
    if (!price.gt(0)) return new InvalidOrder(`${what}: price must be positive`)
    if (!price.mod(inst.tickSize).isZero()) return new InvalidOrder(`${what}: price ${price.toString()} is not on the tick ${inst.tickSize.toString()}`)
    if (req.amount.mul(price).lt(inst.minCost)) return new InvalidOrder(`${what}: cost below the minimum ${inst.minCost.toString()}`)
  }
  return undefined
}

/**
 * Whether a trailing order can go as Binance's trailingDelta (whole basis points, within the symbol's
 * TRAILING_DELTA filter when it lists one): a stop that trails the way a stop does (a sell the high, a buy the
 * low). Anything else Sofia works itself.
 */
function takesTrailing(order: VenueFeatureOrder, filters: unknown): boolean {
  const o = order.options
  if (o.trailingPercent === undefined) return true
  const stopWay = order.side === 'sell' ? 'below' : 'above'
  if (o.triggerDirection !== undefined && o.triggerDirection !== stopWay) return false
  const bips = o.trailingPercent.mul(100)
  if (!bips.isInteger()) return false
  const filter = Array.isArray(filters) ? (filters as { filterType?: unknown }[]).find((f) => f.filterType === 'TRAILING_DELTA') : undefined
  if (filter === undefined) return true
  const limits = filter as Record<string, unknown>
  const [min, max] = order.side === 'sell' ? [limits['minTrailingBelowDelta'], limits['maxTrailingBelowDelta']] : [limits['minTrailingAboveDelta'], limits['maxTrailingAboveDelta']]
  return bips.gte(Number(min ?? 0)) && (max === undefined || bips.lte(Number(max)))
}

/** ccxt's unified parameters for an order's options (reduce-only is Sofia's own check on spot). */
function orderParams(req: OrderRequest): Record<string, unknown> {
  const o = req.options
  if (o === undefined) return {}
  const out: Record<string, unknown> = {}
  if (o.timeInForce === 'PO') out['postOnly'] = true
  else if (o.timeInForce !== undefined) out['timeInForce'] = o.timeInForce
  if (o.triggerPrice !== undefined) {
    // ccxt's unified names say which kind: a stop (a sell falling to it, a buy rising) or a take-profit.
    const stopLike = (o.triggerDirection === 'below') === (req.side === 'sell')
    out[stopLike ? 'stopLossPrice' : 'takeProfitPrice'] = o.triggerPrice.toNumber()
  }
  if (o.trailingPercent !== undefined) {
    // A trailing stop (Binance spot: STOP_LOSS or STOP_LOSS_LIMIT with trailingDelta in basis points).
    out['trailingPercent'] = o.trailingPercent.toNumber()
    out['stopLossOrTakeProfit'] = 'stopLoss'
  }
  return out
}

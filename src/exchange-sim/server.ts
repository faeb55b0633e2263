/**
 * @module exchange-sim/server
 * The local exchange's HTTP side: the subset of Binance SPOT REST that ccxt's `binance` class uses, with
 * Binance's request signing and error answers, fault injection in front of every `/api` request, and a
 * loopback-only `/sim/*` control API for tests (faults, market moves, outside trades and transfers, the simulator's own
 * trade record). WebSockets are upgraded on the same port (see ws-streams.ts).
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { dec } from '../model/index.js'
import type { Account, SimOrder } from './accounts.js'
import {
  accountJson,
  aggTradeJson,
  cancelJson,
  exchangeInfo,
  f8,
  myTradeJson,
  newOrderJson,
  orderJson,
  orderListJson,
  publicTradeJson,
  unifiedTrade,
} from './binance-format.js'
import { BinanceError, errors, illegalChars, mandatory } from './binance-error.js'
import { symbolId, type SimExchange } from './exchange.js'
import { parseFaultConfig, type FaultInjector } from './faults.js'
import { verifySignedRequest } from './signature.js'
import { WsStreams } from './ws-streams.js'

export interface ExchangeSimServerOptions {
  readonly exchange: SimExchange
  readonly faults: FaultInjector
  readonly host: string
  readonly port: number
  /** Milliseconds between market steps; 0 = the market moves only when told (`POST /sim/tick`). */
  readonly tickMs: number
  /** Append every fill, as a CCXT unified trade with its apiKey, to this JSONL file. */
  readonly tradesOut?: string
}

interface Ctx {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly body: string
  readonly params: Record<string, string>
  readonly req: IncomingMessage
}

type Handler = (ctx: Ctx) => unknown

/** The request parameters each call passes on, by the name of the exchange's params field. */
const ORDER_PARAMS = ['symbol', 'side', 'type', 'timeInForce', 'quantity', 'quoteOrderQty', 'price', 'stopPrice', 'trailingDelta', 'newClientOrderId'] as const
const ORDER_LIST_PARAMS = ['symbol', 'side', 'quantity', 'listClientOrderId'] as const
/** A leg's, each sent with its leg's prefix (`aboveType`, `belowStopPrice`). */
const ORDER_LIST_LEG_PARAMS = ['type', 'price', 'stopPrice', 'trailingDelta', 'timeInForce', 'clientOrderId'] as const

/** The named parameters of a request (absent: undefined), read as `prefix` + the name capitalized when a prefix is given. */
function pick<K extends string>(params: Readonly<Record<string, string | undefined>>, names: readonly K[], prefix?: string): Record<K, string | undefined> {
  const out = {} as Record<K, string | undefined>
  for (const name of names) out[name] = params[prefix === undefined ? name : `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}`]
  return out
}

const HTML_STATUS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export class ExchangeSimServer {
  private readonly http: Server
  private readonly ws: WsStreams
  private readonly routes = new Map<string, Handler>()
  private readonly exchange: SimExchange
  private readonly faults: FaultInjector
  private tickTimer: NodeJS.Timeout | undefined
  private disconnectTimer: NodeJS.Timeout | undefined
  private readonly tradesOut: WriteStream | undefined
  private readonly hanging = new Set<ServerResponse>()

  constructor(private readonly options: ExchangeSimServerOptions) {
    this.exchange = options.exchange
    this.faults = options.faults
    this.ws = new WsStreams(this.exchange, this.faults)
    this.http = createServer((req, res) => void this.handle(req, res))
    this.http.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => this.ws.handleUpgrade(req, socket, head))
    this.http.keepAliveTimeout = 65_000
    if (options.tradesOut !== undefined) {
      const out = createWriteStream(options.tradesOut, { flags: 'a' })
      this.tradesOut = out
      this.exchange.addListener({
        onOrderUpdate: (account, _order, _x, fill) => {
          if (fill !== undefined) out.write(`${JSON.stringify({ apiKey: account.apiKey, ...unifiedTrade(fill) })}\n`)
        },
      })
    }
    this.registerRoutes()
  }

  async start(): Promise<{ url: string; ws: string }> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(this.options.port, this.options.host, () => resolve())
    })
    const { port } = this.http.address() as AddressInfo
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host
    if (this.options.tickMs > 0) this.tickTimer = setInterval(() => this.tick(), this.options.tickMs)
    this.applyFaultTimers()
    return { url: `http://${host}:${port}`, ws: `ws://${host}:${port}/ws` }
  }

  async close(): Promise<void> {
    clearInterval(this.tickTimer)
    clearInterval(this.disconnectTimer)
    this.ws.close()
    for (const res of this.hanging) res.destroy()
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
    await new Promise<void>((resolve) => (this.tradesOut ? this.tradesOut.end(resolve) : resolve()))
  }

  private tick(): void {
    if (!this.faults.isStale()) this.exchange.tick()
  }

  private applyFaultTimers(): void {
    clearInterval(this.disconnectTimer)
    const every = this.faults.current.wsDisconnectEveryMs
    this.disconnectTimer = every !== undefined && every > 0 ? setInterval(() => this.ws.disconnectAll(), every) : undefined
  }

  // ---- request handling ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks).toString('utf8')
      const method = req.method ?? 'GET'
      const path = url.pathname
      const query = url.search.startsWith('?') ? url.search.slice(1) : ''
      const params: Record<string, string> = {}
      const isJson = (req.headers['content-type'] ?? '').includes('json')
      for (const [k, v] of new URLSearchParams(query)) params[k] = v
      if (!isJson) for (const [k, v] of new URLSearchParams(body)) params[k] = v
      const ctx: Ctx = { method, path, query, body, params, req }

      if (path.startsWith('/sim/')) return this.control(ctx, res)

      const decision = this.faults.decide(method, path)
      if (decision.latencyMs > 0) await sleep(decision.latencyMs)
      if (decision.timeoutMs !== undefined) {
        if (decision.timeoutMs === Infinity) {
          // Never answer: the client's own timeout fires. The socket is freed when the client gives up.
          this.hanging.add(res)
          res.on('close', () => this.hanging.delete(res))
          return
        }
        await sleep(decision.timeoutMs)
      }
      if (decision.rateLimitRetryAfterS !== undefined) {
        return this.json(res, 429, errors.rateLimited().body(), { 'Retry-After': String(decision.rateLimitRetryAfterS) })
      }
      if (decision.serverErrorStatus !== undefined) {
        const status = decision.serverErrorStatus
        res.writeHead(status, { 'Content-Type': 'text/html' })
        res.end(`<html><body><h1>${status} ${HTML_STATUS[status] ?? ''}</h1></body></html>`)
        return
      }
      const handler = this.routes.get(`${method} ${path}`)
      let status = 200
      let answer: unknown
      if (handler === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/html' })
        res.end('<html><body><h1>404 Not Found</h1></body></html>')
        return
      }
      try {
        answer = handler(ctx)
      } catch (error) {
        if (!(error instanceof BinanceError)) throw error
        status = error.status
        answer = error.body()
      }
      // The request took effect; the answer is lost on the way back (the case a client must resolve by
      // looking the order up, never by sending it again).
      if (decision.drop) {
        req.socket.destroy()
        return
      }
      this.json(res, status, answer)
    } catch (error) {
      if (!res.headersSent) this.json(res, 500, { code: -1000, msg: `An unknown error occurred while processing the request: ${String(error)}` })
    }
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  /** The account of a SIGNED request, after checking key, signature and timestamp. */
  private signed(ctx: Ctx): Account {
    const account = this.apiKeyAccount(ctx)
    verifySignedRequest({ query: ctx.query, body: ctx.body, params: ctx.params }, account.secret, this.exchange.now())
    return account
  }

  /** The account of a USER_STREAM request (API key only). */
  private apiKeyAccount(ctx: Ctx): Account {
    const key = ctx.req.headers['x-mbx-apikey']
    if (typeof key !== 'string' || key === '' || !/^[A-Za-z0-9_-]{1,128}$/.test(key)) throw errors.apiKeyFormat()
    const account = this.exchange.account(key)
    if (account === undefined) throw errors.invalidApiKey()
    return account
  }

  private registerRoutes(): void {
    const ex = this.exchange
    const r = (key: string, handler: Handler): void => void this.routes.set(key, handler)
    const int = (ctx: Ctx, name: string, def: number, min: number, max: number): number => {
      const v = ctx.params[name]
      if (v === undefined) return def
      if (!/^\d+$/.test(v)) throw illegalChars(name)
      const n = Number(v)
      if (n < min || n > max) throw new BinanceError(-1100, `Illegal characters found in parameter '${name}'; legal range is '${min}-${max}'.`)
      return n
    }
    const optInt = (ctx: Ctx, name: string): number | undefined => {
      const v = ctx.params[name]
      if (v === undefined) return undefined
      if (!/^\d+$/.test(v)) throw illegalChars(name)
      return Number(v)
    }

    r('GET /api/v3/ping', () => ({}))
    r('GET /api/v3/time', () => ({ serverTime: ex.now() }))
    r('GET /api/v3/exchangeInfo', () => exchangeInfo(ex))
    r('GET /api/v3/depth', (ctx) => {
      const d = ex.depth(ctx.params['symbol'], int(ctx, 'limit', 100, 1, 5000))
      return { lastUpdateId: d.lastUpdateId, bids: d.bids.map(([p, q]) => [f8(p), f8(q)]), asks: d.asks.map(([p, q]) => [f8(p), f8(q)]) }
    })
    r('GET /api/v3/trades', (ctx) => {
      const s = ex.symbol(ctx.params['symbol'])
      return s.tape.slice(-int(ctx, 'limit', 500, 1, 1000)).map(publicTradeJson)
    })
    r('GET /api/v3/aggTrades', (ctx) => {
      const s = ex.symbol(ctx.params['symbol'])
      const fromId = optInt(ctx, 'fromId')
      const start = optInt(ctx, 'startTime')
      const end = optInt(ctx, 'endTime')
      const limit = int(ctx, 'limit', 500, 1, 1000)
      const rows = s.tape.filter((t) => (fromId === undefined || t.id >= fromId) && (start === undefined || t.time >= start) && (end === undefined || t.time <= end))
      return (fromId !== undefined || start !== undefined ? rows.slice(0, limit) : rows.slice(-limit)).map(aggTradeJson)
    })
    r('GET /api/v3/klines', (ctx) => {
      const s = ex.symbol(ctx.params['symbol'])
      const interval = ctx.params['interval']
      if (interval === undefined) throw mandatory('interval')
      return s.candles.klines(interval, ex.now(), optInt(ctx, 'startTime'), optInt(ctx, 'endTime'), int(ctx, 'limit', 500, 1, 1000))
    })
    const tickerSymbols = (ctx: Ctx): string[] => (ctx.params['symbol'] !== undefined ? [ex.symbol(ctx.params['symbol']).id] : [...ex.symbols.keys()])
    const oneOrAll = (ctx: Ctx, rows: object[]): unknown => (ctx.params['symbol'] !== undefined ? rows[0] : rows)
    r('GET /api/v3/ticker/price', (ctx) =>
      oneOrAll(
        ctx,
        tickerSymbols(ctx).map((id) => {
          const s = ex.symbol(id)
          const last = s.tape.at(-1)?.price
          return { symbol: id, price: last !== undefined ? f8(last) : s.maker.mid.toFixed(8) }
        }),
      ),
    )
    r('GET /api/v3/ticker/bookTicker', (ctx) =>
      oneOrAll(
        ctx,
        tickerSymbols(ctx).map((id) => {
          const d = ex.depth(id, 1)
          const [bp, bq] = d.bids[0] ?? []
          const [ap, aq] = d.asks[0] ?? []
          const s = (v: typeof bp): string => (v === undefined ? '0.00000000' : f8(v))
          return { symbol: id, bidPrice: s(bp), bidQty: s(bq), askPrice: s(ap), askQty: s(aq) }
        }),
      ),
    )

    r('POST /api/v3/order', (ctx) => {
      const account = this.signed(ctx)
      const p = ctx.params
      const order = ex.placeOrder(account, pick(p, ORDER_PARAMS))
      return newOrderJson(order, p['newOrderRespType'] ?? (order.type === 'MARKET' || order.type === 'LIMIT' ? 'FULL' : 'ACK'))
    })
    r('DELETE /api/v3/order', (ctx) => {
      const account = this.signed(ctx)
      return cancelJson(ex.cancelOrder(account, ctx.params['symbol'], ctx.params['orderId'], ctx.params['origClientOrderId']))
    })
    r('GET /api/v3/order', (ctx) => {
      const account = this.signed(ctx)
      return orderJson(ex.getOrder(account, ctx.params['symbol'], ctx.params['orderId'], ctx.params['origClientOrderId']))
    })
    r('GET /api/v3/openOrders', (ctx) => {
      const account = this.signed(ctx)
      const id = ctx.params['symbol'] !== undefined ? ex.symbol(ctx.params['symbol']).id : undefined
      return account.openOrders(id).map(orderJson)
    })
    r('DELETE /api/v3/openOrders', (ctx) => {
      const account = this.signed(ctx)
      const s = ex.symbol(ctx.params['symbol'])
      // An order of a list is canceled with the list, by its sibling's cancel.
      const open = (o: SimOrder): boolean => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'
      return account.openOrders(s.id).map((o) => cancelJson(open(o) ? ex.cancelOrder(account, s.id, String(o.id), undefined) : o))
    })
    r('POST /api/v3/orderList/oco', (ctx) => {
      const account = this.signed(ctx)
      const p = ctx.params
      const list = ex.placeOrderList(account, {
        ...pick(p, ORDER_LIST_PARAMS),
        above: pick(p, ORDER_LIST_LEG_PARAMS, 'above'),
        below: pick(p, ORDER_LIST_LEG_PARAMS, 'below'),
      })
      const respType = p['newOrderRespType'] ?? 'FULL'
      return orderListJson(list, (o) => newOrderJson(o, respType === 'ACK' ? 'RESULT' : respType))
    })
    r('DELETE /api/v3/orderList', (ctx) => {
      const account = this.signed(ctx)
      const list = ex.cancelOrderList(account, ctx.params['symbol'], ctx.params['orderListId'], ctx.params['listClientOrderId'])
      return orderListJson(list, cancelJson)
    })
    r('GET /api/v3/allOrders', (ctx) => {
      const account = this.signed(ctx)
      const s = ex.symbol(ctx.params['symbol'])
      const start = optInt(ctx, 'startTime')
      const fromId = optInt(ctx, 'orderId')
      const rows = [...account.orders.values()].filter((o) => o.symbolId === s.id && (fromId === undefined || o.id >= fromId) && (start === undefined || o.time >= start))
      return rows.slice(0, int(ctx, 'limit', 500, 1, 1000)).map(orderJson)
    })
    r('GET /api/v3/myTrades', (ctx) => {
      const account = this.signed(ctx)
      const s = ex.symbol(ctx.params['symbol'])
      const orderId = optInt(ctx, 'orderId')
      const fromId = optInt(ctx, 'fromId')
      const start = optInt(ctx, 'startTime')
      const end = optInt(ctx, 'endTime')
      const limit = int(ctx, 'limit', 500, 1, 1000)
      const rows = account.trades.filter(
        (t) =>
          t.symbolId === s.id &&
          (orderId === undefined || t.orderId === orderId) &&
          (fromId === undefined || t.tradeId >= fromId) &&
          (start === undefined || t.time >= start) &&
          (end === undefined || t.time <= end),
      )
      return (fromId !== undefined || start !== undefined ? rows.slice(0, limit) : rows.slice(-limit)).map(myTradeJson)
    })
    r('GET /api/v3/account', (ctx) => accountJson(ex, this.signed(ctx)))

    r('POST /api/v3/userDataStream', (ctx) => {
      const account = this.apiKeyAccount(ctx)
      account.listenKey ??= randomBytes(32).toString('hex')
      return { listenKey: account.listenKey }
    })
    const keepAlive = (ctx: Ctx): object => {
      const account = this.apiKeyAccount(ctx)
      if (ctx.params['listenKey'] === undefined) throw mandatory('listenKey')
      if (ctx.params['listenKey'] !== account.listenKey) throw errors.noListenKey()
      return {}
    }
    r('PUT /api/v3/userDataStream', keepAlive)
    r('DELETE /api/v3/userDataStream', (ctx) => {
      keepAlive(ctx)
      this.apiKeyAccount(ctx).listenKey = undefined
      return {}
    })
  }

  // ---- control API (loopback only) ----------------------------------------------------------------------

  private control(ctx: Ctx, res: ServerResponse): void {
    const remote = ctx.req.socket.remoteAddress ?? ''
    if (!(remote === '127.0.0.1' || remote === '::1' || remote === '::ffff:127.0.0.1')) {
      return this.json(res, 403, { error: 'the /sim control API answers loopback clients only' })
    }
    const ex = this.exchange
    let body: Record<string, unknown> = {}
    try {
      if (ctx.body.trim() !== '') body = JSON.parse(ctx.body) as Record<string, unknown>
    } catch {
      return this.json(res, 400, { error: 'expected a JSON body' })
    }
    const account = (): Account | undefined => ex.account(ctx.params['apiKey'] ?? [...ex.accounts.keys()][0] ?? '')
    const sym = (v: unknown): string => (typeof v === 'string' && v.includes('/') ? symbolId(v) : String(v))
    try {
      switch (`${ctx.method} ${ctx.path}`) {
        case 'GET /sim/trades':
          return this.json(res, 200, (account()?.trades ?? []).map(unifiedTrade))
        case 'GET /sim/orders':
          return this.json(res, 200, [...(account()?.orders.values() ?? [])].map(orderJson))
        case 'GET /sim/balances': {
          const a = account()
          const out: Record<string, { free: string; locked: string }> = {}
          for (const [asset, b] of a?.balances ?? []) out[asset] = { free: f8(b.free), locked: f8(b.locked) }
          return this.json(res, 200, out)
        }
        case 'GET /sim/faults':
          return this.json(res, 200, {
            faults: this.faults.current,
            remainingNext: this.faults.remainingNext,
            stale: this.faults.isStale(),
            wsClients: this.ws.size,
            wsDisconnects: this.ws.disconnects,
          })
        case 'POST /sim/faults':
          this.faults.set(parseFaultConfig(body, 'POST /sim/faults'))
          this.applyFaultTimers()
          return this.json(res, 200, { faults: this.faults.current })
        case 'POST /sim/ws-disconnect':
          return this.json(res, 200, { closed: this.ws.disconnectAll() })
        case 'POST /sim/tick': {
          const n = typeof body['n'] === 'number' ? body['n'] : 1
          for (let i = 0; i < n; i++) this.tick()
          return this.json(res, 200, { ticks: n })
        }
        case 'POST /sim/market':
          ex.moveTo(sym(body['symbol']), Number(body['price']))
          return this.json(res, 200, { ok: true })
        case 'POST /sim/transfer': {
          // A deposit (amount > 0) or withdrawal (< 0) on the account, made outside Sofia.
          const a = account()
          const asset = body['asset']
          const amount = typeof body['amount'] === 'string' || typeof body['amount'] === 'number' ? dec(String(body['amount'])) : undefined
          if (a === undefined || typeof asset !== 'string' || amount === undefined) return this.json(res, 400, { error: 'expected {asset, amount} (and ?apiKey=)' })
          if (a.balance(asset).free.add(amount).isNegative()) return this.json(res, 400, { error: `not enough free ${asset}` })
          a.credit(asset, amount)
          return this.json(res, 200, { asset, free: f8(a.balance(asset).free) })
        }
        case 'POST /sim/trade': {
          const side = body['side']
          if (side !== 'buy' && side !== 'sell') return this.json(res, 400, { error: "side must be 'buy' or 'sell'" })
          const price = body['price']
          const filled = ex.outsideTrade(sym(body['symbol']), side, String(body['amount']), price === undefined ? undefined : String(price))
          return this.json(res, 200, { filled: filled.toString() })
        }
        default:
          return this.json(res, 404, { error: `no control endpoint ${ctx.method} ${ctx.path}` })
      }
    } catch (error) {
      return this.json(res, 400, { error: error instanceof Error ? error.message : String(error) })
    }
  }
}

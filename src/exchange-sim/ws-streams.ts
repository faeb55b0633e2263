/**
 * @module exchange-sim/ws-streams
 * Binance's WebSocket side: market streams (`/ws`, `/ws/<stream>`, `/stream?streams=a/b` with
 * SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS), the legacy user data stream (`/ws/<listenKey>`) and the
 * WS API's `userDataStream.subscribe.signature` (`/ws-api/v3`, what ccxt.pro's binance uses for spot
 * `watchOrders` / `watchMyTrades` / `watchBalance`).
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Account, SimFill, SimOrder } from './accounts.js'
import { accountPositionEvent, aggTradeEvent, bookTickerEvent, depthEvent, executionReport, tradeEvent } from './binance-format.js'
import { BinanceError } from './binance-error.js'
import type { DepthUpdate, ExecutionType, PublicTrade, SimExchange } from './exchange.js'
import type { FaultInjector } from './faults.js'
import { verifyWsParams } from './signature.js'

interface MarketClient {
  readonly kind: 'market'
  readonly socket: WebSocket
  readonly combined: boolean
  readonly streams: Set<string>
}

interface UserClient {
  readonly kind: 'user'
  readonly socket: WebSocket
  readonly account: Account
  /** WS API subscription id; undefined for a legacy listenKey stream (raw events). */
  readonly subscriptionId: number | undefined
}

interface ApiClient {
  readonly kind: 'api'
  readonly socket: WebSocket
}

type Client = MarketClient | UserClient | ApiClient

export class WsStreams {
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly clients = new Set<Client>()
  private subscriptionSeq = 0
  /** Sockets closed by fault injection so far (tests read it from /sim/faults). */
  disconnects = 0

  constructor(
    private readonly exchange: SimExchange,
    private readonly faults: FaultInjector,
  ) {
    exchange.addListener({
      onPublicTrade: (id, t) => this.onTrade(id, t),
      onDepthUpdate: (id, u) => this.onDepth(id, u),
      onOrderUpdate: (a, o, x, f) => this.onOrder(a, o, x, f),
      onBalances: (a, assets) => this.toUser(a, accountPositionEvent(a, assets, exchange.now())),
    })
  }

  get size(): number {
    return this.clients.size
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      let client: Client
      if (path.startsWith('/ws-api')) client = { kind: 'api', socket: ws }
      else if (path === '/stream') {
        const streams = (url.searchParams.get('streams') ?? '').split('/').filter((s) => s !== '')
        client = { kind: 'market', socket: ws, combined: true, streams: new Set(streams) }
      } else {
        const rest = path.replace(/^\/(stream\/)?ws\/?/, '')
        const account = rest === '' ? undefined : [...this.exchange.accounts.values()].find((a) => a.listenKey === rest)
        if (account !== undefined) client = { kind: 'user', socket: ws, account, subscriptionId: undefined }
        else client = { kind: 'market', socket: ws, combined: false, streams: new Set(rest.split('/').filter((s) => s.includes('@'))) }
      }
      this.clients.add(client)
      const forget = (): void => {
        for (const c of this.clients) if (c.socket === ws) this.clients.delete(c)
      }
      ws.on('close', forget)
      ws.on('error', forget)
      ws.on('message', (data) => this.onMessage(client, String(data)))
    })
  }

  /** Closes every socket abruptly (fault injection). */
  disconnectAll(): number {
    let n = 0
    for (const c of this.clients) {
      c.socket.terminate()
      n++
    }
    this.clients.clear()
    this.disconnects += n
    return n
  }

  close(): void {
    for (const c of this.clients) c.socket.terminate()
    this.clients.clear()
    this.wss.close()
  }

  private onMessage(client: Client, text: string): void {
    let msg: { id?: unknown; method?: unknown; params?: unknown }
    try {
      msg = JSON.parse(text) as typeof msg
    } catch {
      client.socket.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }))
      return
    }
    const id = msg.id ?? null
    if (client.kind === 'api') {
      this.onApiRequest(client, id, msg.method, msg.params)
      return
    }
    if (client.kind !== 'market') return
    const params = Array.isArray(msg.params) ? msg.params.filter((p): p is string => typeof p === 'string') : []
    switch (msg.method) {
      case 'SUBSCRIBE':
        for (const p of params) client.streams.add(p)
        client.socket.send(JSON.stringify({ result: null, id }))
        return
      case 'UNSUBSCRIBE':
        for (const p of params) client.streams.delete(p)
        client.socket.send(JSON.stringify({ result: null, id }))
        return
      case 'LIST_SUBSCRIPTIONS':
        client.socket.send(JSON.stringify({ result: [...client.streams], id }))
        return
      default:
        client.socket.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown method` }, id }))
    }
  }

  private onApiRequest(client: ApiClient, id: unknown, method: unknown, params: unknown): void {
    const reply = (body: object): void => client.socket.send(JSON.stringify({ id, ...body, rateLimits: [] }))
    try {
      if (method === 'ping') return reply({ status: 200, result: {} })
      if (method === 'time') return reply({ status: 200, result: { serverTime: this.exchange.now() } })
      if (method !== 'userDataStream.subscribe.signature') throw new BinanceError(-1100, `Unknown method '${String(method)}'.`)
      const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>
      const apiKey = p['apiKey']
      const account = typeof apiKey === 'string' ? this.exchange.account(apiKey) : undefined
      if (account === undefined) throw new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401)
      verifyWsParams(p, account.secret, this.exchange.now())
      const subscriptionId = this.subscriptionSeq++
      this.clients.add({ kind: 'user', socket: client.socket, account, subscriptionId })
      reply({ status: 200, result: { subscriptionId } })
    } catch (error) {
      if (error instanceof BinanceError) reply({ status: error.status, error: error.body() })
      else reply({ status: 500, error: { code: -1000, msg: String(error) } })
    }
  }

  private send(stream: string, data: object | undefined): void {
    if (data === undefined) return
    let raw: string | undefined
    let combined: string | undefined
    for (const c of this.clients) {
      if (c.kind !== 'market' || !c.streams.has(stream)) continue
      if (c.combined) c.socket.send((combined ??= JSON.stringify({ stream, data })))
      else c.socket.send((raw ??= JSON.stringify(data)))
    }
  }

  private onTrade(symbolId: string, t: PublicTrade): void {
    if (this.faults.isStale()) return
    const sym = symbolId.toLowerCase()
    this.send(`${sym}@trade`, tradeEvent(symbolId, t))
    this.send(`${sym}@aggTrade`, aggTradeEvent(symbolId, t))
  }

  private onDepth(symbolId: string, u: DepthUpdate): void {
    if (this.faults.isStale()) return
    const sym = symbolId.toLowerCase()
    const event = depthEvent(symbolId, u)
    this.send(`${sym}@depth`, event)
    this.send(`${sym}@depth@100ms`, event)
    if ([...this.clients].some((c) => c.kind === 'market' && c.streams.has(`${sym}@bookTicker`))) {
      this.send(`${sym}@bookTicker`, bookTickerEvent(this.exchange, symbolId))
    }
  }

  private onOrder(account: Account, order: SimOrder, x: ExecutionType, fill: SimFill | undefined): void {
    this.toUser(account, executionReport(order, x, fill, this.exchange.now()))
  }

  private toUser(account: Account, event: object): void {
    for (const c of this.clients) {
      if (c.kind !== 'user' || c.account !== account) continue
      c.socket.send(JSON.stringify(c.subscriptionId === undefined ? event : { subscriptionId: c.subscriptionId, event }))
    }
  }
}

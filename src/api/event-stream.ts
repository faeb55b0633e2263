/**
 * @module api/event-stream
 * The server-sent-events feed of the dashboard (`GET /events`): order updates, fills, kill switch changes,
 * alerts, and a status tick every second. One hub listens to the session's bus and fans out; a client that
 * cannot keep up (more than 1 MB unsent) is disconnected rather than buffered without bound.
 */
import type { ServerResponse } from 'node:http'
import { tradeFigures } from '../model/index.js'
import { orderTerms } from '../store/index.js'
import type { Trader } from '../system/index.js'
import type { AlertSource, ApiSession } from './deps.js'
import type { SseData } from './wire.js'

/** `load`: synthetic events of a load test (`sofia serve --sse-load N`), never sent otherwise. */
export const SSE_EVENTS = ['hello', 'order', 'fill', 'kill_switch', 'alert', 'status', 'load'] as const
export type SseEvent = (typeof SSE_EVENTS)[number]

const MAX_BUFFERED = 1 << 20

export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private timer: NodeJS.Timeout | undefined
  private loadTimer: NodeJS.Timeout | undefined
  private killSince: number | null
  private killActive: boolean
  private alertCount: number
  private lastAlertAt: number
  private seq = 0
  /** Wall time of the last market event (for /health). */
  lastMarketAt = 0

  private readonly trader: Trader

  constructor(
    session: ApiSession,
    private readonly alerts: AlertSource,
  ) {
    const trader = session.trader
    this.trader = trader
    const ks = trader.safety.killSwitch
    this.killActive = ks.active
    this.killSince = ks.state().since
    const recent = alerts.recent()
    this.alertCount = recent.length
    this.lastAlertAt = recent[recent.length - 1]?.at ?? 0
    session.subscribe('market', () => {
      this.lastMarketAt = Date.now()
    })
    session.subscribe('order', ({ order, event }) => {
      if (this.clients.size > 0) {
        this.broadcast('order', {
          ...orderTerms(order),
          filled: order.filled.toString(),
          state: order.state,
          event: event.type,
          timestamp: event.timestamp,
        })
      }
      // A trip cancels orders in the same event: the kill switch change goes out before their cancellations land.
      if (event.type === 'cancel_requested') this.checkChanges()
    })
    session.subscribe('fill', ({ order, trade }) => {
      if (this.clients.size === 0) return
      this.broadcast('fill', {
        id: trade.id,
        order: trade.order,
        clientOrderId: trade.clientOrderId,
        strategyId: order.strategyId,
        venue: trade.venue,
        symbol: trade.symbol,
        side: trade.side,
        ...tradeFigures(trade),
        timestamp: trade.timestamp,
      })
    })
  }

  get size(): number {
    return this.clients.size
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 1_000)
    this.timer.unref()
  }

  /**
   * Test load: `perSecond` synthetic `load` events a second to every client (the dashboard's responsiveness
   * test). Sent in small bursts every 10 ms so the rate holds whatever the timer's jitter.
   */
  startLoad(perSecond: number): void {
    if (perSecond <= 0) return
    const started = performance.now()
    let sent = 0
    this.loadTimer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * perSecond)
      for (; sent < due; sent++) this.broadcast('load', { n: sent + 1, at: Date.now() })
    }, 10)
    this.loadTimer.unref()
  }

  /** Ends every stream (server shutdown). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    if (this.loadTimer !== undefined) clearInterval(this.loadTimer)
    for (const c of this.clients) c.end()
    this.clients.clear()
  }

  /** Takes over a response as an event stream. */
  attach(res: ServerResponse, status: SseData['hello']): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write('retry: 2000\n\n')
    this.clients.add(res)
    res.on('close', () => this.clients.delete(res))
    this.send(res, 'hello', status)
  }

  /** Emits kill switch and alert changes now (also called by the API right after it acts). */
  checkChanges(): void {
    const ks = this.trader.safety.killSwitch
    const state = ks.state()
    if (ks.active !== this.killActive || state.since !== this.killSince) {
      this.killActive = ks.active
      this.killSince = state.since
      this.broadcast('kill_switch', { ...state, active: ks.active, mode: ks.configuredMode })
    }
    const recent = this.alerts.recent()
    const lastAt = recent[recent.length - 1]?.at ?? 0
    if (recent.length !== this.alertCount || lastAt !== this.lastAlertAt) {
      // The list is bounded and trimmed from the front: new alerts are those after the last one sent.
      for (const a of recent) if (a.at > this.lastAlertAt) this.broadcast('alert', a)
      this.alertCount = recent.length
      this.lastAlertAt = lastAt
    }
  }

  private tick(): void {
    this.checkChanges()
    if (this.clients.size === 0) return
    const t = this.trader
    const pnl = t.pnl()
    this.broadcast('status', {
      at: Date.now(),
      killSwitch: t.safety.killSwitch.active,
      tradingState: t.safety.status().tradingStates.account,
      openOrders: t.orders.openOrders().length,
      fills: t.orders.counters.fills,
      netPnl: pnl.net.toString(),
      equity: t.equity().toString(),
      dailyPnl: t.safety.dailyPnl().toString(),
      currency: t.ledger.reportingCurrency,
    })
  }

  private broadcast<E extends SseEvent>(event: E, data: SseData[E]): void {
    if (this.clients.size === 0) return
    const frame = this.frame(event, data)
    for (const c of this.clients) this.write(c, frame)
  }

  private send<E extends SseEvent>(res: ServerResponse, event: E, data: SseData[E]): void {
    this.write(res, this.frame(event, data))
  }

  private frame<E extends SseEvent>(event: E, data: SseData[E]): string {
    return `id: ${++this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
  }

  private write(res: ServerResponse, frame: string): void {
    if (res.writableLength > MAX_BUFFERED) {
      this.clients.delete(res)
      res.destroy()
      return
    }
    res.write(frame)
  }
}

/**
 * @module system/persistence
 * Records a session in the store: every order state (upserted), every fill, deposits, trading state, intent
 * sequences, and an audit record for every intent, risk verdict, order state change and fill. Writes are
 * batched; `barrier()` makes everything recorded so far durable and is called by the order manager before
 * each send, so the store always knows an order before the venue does and every fill before Sofia acts.
 *
 * With a store that writes synchronously (SQLite, memory) nothing here is asynchronous, so a backtest that
 * records stays deterministic whatever the batch sizes.
 */
import type { AuditLog } from '../audit/index.js'
import type { Clock, Component, EngineEvents, EventBus } from '../engine/index.js'
import type { Order, OrderEvent, Trade } from '../model/index.js'
import { optionsToJson, tradeFigures } from '../model/index.js'
import type { Store, StoredFill, StoredOrder, WriteBatch } from '../store/index.js'
import { toStoredFill, toStoredOrder } from '../store/index.js'
import type { AuditPayload, AuditType, OrderIntentPayload } from '../audit/index.js'

export interface PersistenceOptions {
  readonly store: Store
  readonly audit: AuditLog
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
  /** Next intent sequence of a strategy, recorded with its orders. */
  readonly sequenceOf: (strategyId: string) => number
  /** Flush once this many rows are pending even without a barrier (default 2,000). */
  readonly maxPending?: number
  /**
   * Also flush every this many ms of wall time (paper and live: state such as the session lease and
   * late venue updates must reach the store even when no order is sent). Off by default (backtests).
   */
  readonly flushIntervalMs?: number
}

/** What an order asks for, as the audit chain's `order.intent` records it (decimals as strings). */
export type IntentTerms = Pick<OrderIntentPayload, 'venue' | 'symbol' | 'side' | 'type' | 'amount' | 'price' | 'decisionPrice'>

/** An order's terms as an intent, in the key order of its `order.intent` record (a decision replay compares against them). */
export function intentTerms(o: Order): IntentTerms {
  return {
    venue: o.venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    amount: o.amount.toString(),
    price: o.price?.toString() ?? null,
    decisionPrice: o.decisionPrice?.toString() ?? null,
  }
}

/** What the audit chain says about an order (no secrets, decimals as strings). */
function orderPayload(o: Order): OrderIntentPayload {
  return {
    clientOrderId: o.clientOrderId,
    ...intentTerms(o),
    ...(o.tag !== undefined ? { tag: o.tag } : {}),
    ...(Object.keys(o.options).length > 0 ? { options: JSON.parse(optionsToJson(o.options)!) as unknown } : {}),
  }
}

export class Persistence implements Component {
  readonly name = 'persistence'
  private orders = new Map<string, StoredOrder>()
  private fills: StoredFill[] = []
  private deposits: { venue: string; asset: string; amount: string; ts: number; reason: string }[] = []
  private state: { key: string; value: unknown }[] = []
  private sequences = new Map<string, number>()
  private pending = 0
  private writing: Promise<void> = Promise.resolve()
  private failure: unknown
  private readonly maxPending: number
  /** Rows written so far (for reports and benchmarks). */
  written = 0

  constructor(private readonly options: PersistenceOptions) {
    this.maxPending = options.maxPending ?? 2_000
    const { bus } = options
    bus.on('order', ({ order, event }) => this.onOrder(order, event))
    bus.on('fill', ({ order, trade }) => this.onFill(order, trade))
  }

  get store(): Store {
    return this.options.store
  }

  /** Appends an audit record (engine time) to be written with the next batch; the payload is the one of its type. */
  audit<T extends AuditType>(type: T, actor: string, payload: AuditPayload<T>): void {
    this.options.audit.append(type, actor, payload, this.options.clock.now())
    this.bump(1)
  }

  /** A deposit (a negative amount takes funds out), audited as `balance.deposit` unless the caller audits it otherwise. */
  recordDeposit(venue: string, asset: string, amount: string, reason: string, audited = true): void {
    const ts = this.options.clock.now()
    this.deposits.push({ venue, asset, amount, ts, reason })
    if (audited) this.audit('balance.deposit', 'system', { venue, asset, amount, reason })
  }

  setState(key: string, value: unknown, actor: string, reason?: string): void {
    this.state.push({ key, value })
    this.audit('state.changed', actor, { key, value, ...(reason !== undefined && reason !== '' ? { reason } : {}) })
  }

  /** Sets bookkeeping state that is not a decision (heartbeats, control replies): not audited. */
  setStateQuiet(key: string, value: unknown): void {
    this.state.push({ key, value })
    this.bump(1)
  }

  /**
   * Makes everything recorded so far durable. Synchronous with a synchronous store; otherwise a promise
   * that resolves once the store has committed.
   */
  barrier(): void | Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure as Error)
    const batch = this.takeBatch()
    const store = this.options.store
    if (batch === undefined) return this.syncOrWait()
    const audit = this.options.audit
    if (store.writeSync !== undefined) {
      store.writeSync(batch)
      audit.committed(batch.audit ?? [])
      return
    }
    this.writing = this.writing.then(async () => {
      await store.write(batch)
      audit.committed(batch.audit ?? [])
    })
    this.writing.catch((error: unknown) => {
      this.failure = error
    })
    return this.writing
  }

  /** Flushes and waits for every write to finish. */
  async flush(): Promise<void> {
    await this.barrier()
    await this.writing
    if (this.failure !== undefined) throw this.failure as Error
  }

  private timer: NodeJS.Timeout | undefined

  start(): void {
    const every = this.options.flushIntervalMs
    if (every === undefined) return
    this.timer = setInterval(() => {
      const r = this.barrier()
      if (r !== undefined) r.catch(() => undefined) // kept in `failure`, raised by the next barrier
    }, every)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    // The session's last head is signed and anchored with its last records.
    this.options.audit.checkpoint()
    await this.flush()
  }

  private syncOrWait(): void | Promise<void> {
    return this.options.store.writeSync !== undefined ? undefined : this.writing
  }

  private bump(rows: number): void {
    this.pending += rows
    if (this.pending >= this.maxPending) {
      const r = this.barrier()
      if (r !== undefined) r.catch(() => undefined) // recorded in `failure`, raised by the next barrier
    }
  }

  private onOrder(order: Order, event: OrderEvent): void {
    this.orders.set(order.clientOrderId, toStoredOrder(order))
    const strategy = `strategy:${order.strategyId}`
    switch (event.type) {
      case 'submitted':
        this.sequences.set(order.strategyId, this.options.sequenceOf(order.strategyId))
        this.audit('order.intent', strategy, orderPayload(order))
        this.audit('risk.approved', 'system', { clientOrderId: order.clientOrderId })
        break
      case 'denied':
        this.sequences.set(order.strategyId, this.options.sequenceOf(order.strategyId))
        this.audit('order.intent', strategy, orderPayload(order))
        this.audit('risk.denied', 'system', { clientOrderId: order.clientOrderId, code: event.code, reason: event.reason })
        break
      case 'filled':
        break // the fill record says it, with the trade
      case 'accepted':
        this.audit('order.accepted', 'system', { clientOrderId: order.clientOrderId, venueOrderId: event.venueOrderId })
        break
      case 'rejected':
      case 'cancel_rejected':
        this.audit(`order.${event.type}`, 'system', { clientOrderId: order.clientOrderId, reason: event.reason })
        break
      case 'triggered':
        this.audit('order.triggered', 'system', { clientOrderId: order.clientOrderId, triggerPrice: order.options.triggerPrice?.toString() ?? null })
        break
      case 'cancel_requested':
      case 'canceled':
      case 'expired':
        this.audit(`order.${event.type}`, 'system', { clientOrderId: order.clientOrderId, filled: order.filled.toString() })
        break
    }
    this.bump(1)
  }

  private onFill(order: Order, trade: Trade): void {
    // The order row goes with its fill: a handler of this same fill may send an order, whose barrier
    // commits before the order's own update event arrives.
    this.orders.set(order.clientOrderId, toStoredOrder(order))
    this.fills.push(toStoredFill(trade, order.strategyId))
    this.audit('fill', 'system', {
      clientOrderId: trade.clientOrderId,
      venue: trade.venue,
      tradeId: trade.id,
      symbol: trade.symbol,
      side: trade.side,
      ...tradeFigures(trade),
      takerOrMaker: trade.takerOrMaker,
      orderState: order.state,
    })
    this.bump(1)
  }

  private takeBatch(): WriteBatch | undefined {
    this.options.audit.checkpointIfDue()
    const audit = this.options.audit.drain()
    if (this.orders.size === 0 && this.fills.length === 0 && audit.length === 0 && this.deposits.length === 0 && this.state.length === 0) {
      return undefined
    }
    const batch: WriteBatch = {
      orders: [...this.orders.values()],
      fills: this.fills,
      deposits: this.deposits,
      state: this.state,
      sequences: [...this.sequences].map(([strategyId, next]) => ({ strategyId, next })),
      audit,
    }
    this.written += batch.orders!.length + this.fills.length + audit.length
    this.orders = new Map()
    this.fills = []
    this.deposits = []
    this.state = []
    this.sequences = new Map()
    this.pending = 0
    return batch
  }
}

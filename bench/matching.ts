/**
 * @module bench/matching
 * Matching-engine throughput: one seeded mixed flow (≈60% passive limit adds near the mid, 25% cancels of
 * live orders, 15% market orders that match) run through Sofia's `OrderBook` and, unchanged, through the
 * `nodejs-order-book` package, so the ratio compares like with like. The flow is generated (and its cancel
 * targets chosen among orders that are live at that point) before timing; both books get pre-built ids.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/matching.js [ops]`.
 */
import { OrderBook as TheirBook, Side } from 'nodejs-order-book'
import { Prng } from '../src/engine/index.js'
import { OrderBook } from '../src/venues/index.js'
import { runAsScript } from './script.js'

// A type alias, not an interface: bench/run.ts needs it assignable to Record<string, number | string>.
export type MatchingBenchResult = {
  /** Operations per second through Sofia's OrderBook. */
  ops_per_s: number
  ops: number
  nodejs_order_book_ops_per_s: number
  /** ours / theirs. */
  ratio: number
}

const OP_ADD = 0
const OP_CANCEL = 1
const OP_MARKET = 2
const LIVE_TARGET = 5_000

interface Flow {
  readonly n: number
  readonly kind: Uint8Array
  /** 0 buy, 1 sell. */
  readonly side: Uint8Array
  readonly id: Float64Array
  readonly price: Float64Array
  readonly lots: Float64Array
  readonly ids: string[]
  /** Orders resting at the end of the reference run. */
  readonly live: number
}


/** Builds the flow, using a reference run of our book to know which orders are live when a cancel is drawn. */
export function makeFlow(n: number, seed = 42): Flow {
  const prng = new Prng(seed)
  const random = (): number => prng.next()
  const kind = new Uint8Array(n)
  const side = new Uint8Array(n)
  const id = new Float64Array(n)
  const price = new Float64Array(n)
  const lots = new Float64Array(n)
  const live: number[] = []
  const slot = new Map<number, number>()
  const drop = (orderId: number): void => {
    const i = slot.get(orderId)
    if (i === undefined) return
    const last = live.pop()!
    if (last !== orderId) {
      live[i] = last
      slot.set(last, i)
    }
    slot.delete(orderId)
  }
  const book = new OrderBook({
    listener: {
      onMatch: (m) => {
        if (m.makerLots === 0) drop(m.makerId)
      },
    },
  })
  let mid = 100_000
  let nextId = 1
  for (let i = 0; i < n; i++) {
    const r = random()
    if (i % 64 === 0) mid += Math.floor(random() * 5) - 2
    if (r < 0.6 || live.length === 0) {
      const buy = random() < 0.5
      const p = buy ? mid - 1 - Math.floor(random() * 20) : mid + 1 + Math.floor(random() * 20)
      const q = 1 + Math.floor(random() * 20)
      const oid = nextId++
      kind[i] = OP_ADD
      side[i] = buy ? 0 : 1
      id[i] = oid
      price[i] = p
      lots[i] = q
      if (book.add(oid, buy ? 'buy' : 'sell', p, q) > 0) {
        slot.set(oid, live.length)
        live.push(oid)
      }
    } else if (r < 0.85) {
      const oid = live[Math.floor(random() * live.length)]!
      kind[i] = OP_CANCEL
      id[i] = oid
      book.cancel(oid)
      drop(oid)
    } else {
      const buy = random() < 0.5
      // Market sizes lean on the book's size so the flow is stationary (about LIVE_TARGET resting orders, a few
      // hundred per level) instead of a book that grows for ever and makes long queues the whole story.
      const q = 1 + Math.floor(random() * (live.length > LIVE_TARGET ? 60 : 30))
      kind[i] = OP_MARKET
      side[i] = buy ? 0 : 1
      id[i] = nextId++
      lots[i] = q
      book.market(id[i]!, buy ? 'buy' : 'sell', q)
    }
  }
  const ids: string[] = new Array<string>(nextId)
  for (let i = 0; i < nextId; i++) ids[i] = String(i)
  return { n, kind, side, id, price, lots, ids, live: live.length }
}

/** Replays the flow through Sofia's book; returns the book for checking. */
export function runOurs(flow: Flow): OrderBook {
  const book = new OrderBook({ listener: { onMatch: () => {} } })
  const { n, kind, side, id, price, lots } = flow
  for (let i = 0; i < n; i++) {
    const k = kind[i]!
    if (k === OP_ADD) book.add(id[i]!, side[i] === 0 ? 'buy' : 'sell', price[i]!, lots[i]!)
    else if (k === OP_CANCEL) book.cancel(id[i]!)
    else book.market(id[i]!, side[i] === 0 ? 'buy' : 'sell', lots[i]!)
  }
  return book
}

/** Replays the flow through nodejs-order-book; returns the book for checking. */
export function runTheirs(flow: Flow): TheirBook {
  const book = new TheirBook()
  const { n, kind, side, id, price, lots, ids } = flow
  for (let i = 0; i < n; i++) {
    const k = kind[i]!
    if (k === OP_ADD) {
      book.limit({ id: ids[id[i]!]!, side: side[i] === 0 ? Side.BUY : Side.SELL, price: price[i]!, size: lots[i]! })
    } else if (k === OP_CANCEL) book.cancel(ids[id[i]!]!)
    else book.market({ side: side[i] === 0 ? Side.BUY : Side.SELL, size: lots[i]! })
  }
  return book
}

function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

function time(run: () => unknown): number {
  gc()
  const t0 = performance.now()
  run()
  return (performance.now() - t0) / 1000
}

/** Same flow through both books; throws if they end in different states (the comparison would be void). */
export async function benchMatching(opts: { ops?: number; seed?: number } = {}): Promise<MatchingBenchResult> {
  const ops = opts.ops ?? 2_000_000
  const flow = makeFlow(ops, opts.seed ?? 42)
  const warm = makeFlow(Math.min(200_000, ops), (opts.seed ?? 42) + 1)
  for (let i = 0; i < 3; i++) {
    runOurs(warm)
    runTheirs(warm)
  }
  await Promise.resolve()
  let ours = Infinity
  let theirs = Infinity
  let ourBook: OrderBook | undefined
  let theirBook: TheirBook | undefined
  // Best of two runs each, interleaved, to keep one GC pause or CPU hiccup from deciding the result.
  for (let round = 0; round < 2; round++) {
    ours = Math.min(ours, time(() => (ourBook = runOurs(flow))))
    theirs = Math.min(theirs, time(() => (theirBook = runTheirs(flow))))
  }
  const a = ourBook!.depth()
  const [theirAsks, theirBids] = theirBook!.depth()
  if (JSON.stringify([a.bids, a.asks]) !== JSON.stringify([theirBids, theirAsks])) {
    throw new Error('benchMatching: the two books ended in different states; the flow is not comparable')
  }
  const ops_per_s = Math.round(ops / ours)
  const nodejs_order_book_ops_per_s = Math.round(ops / theirs)
  return { ops_per_s, ops, nodejs_order_book_ops_per_s, ratio: Number((ops_per_s / nodejs_order_book_ops_per_s).toFixed(2)) }
}

runAsScript(import.meta.url, (ops) => benchMatching(ops === undefined ? {} : { ops }))

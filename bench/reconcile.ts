/**
 * @module bench/reconcile
 * Reconciliation throughput: a million internal fills against a million exchange trades, 1% of them made
 * wrong (deleted, added, repeated, re-priced, re-sized, fee or side changed, or renamed so only the order-id
 * fallback can match them). The data is generated in memory from a seeded PRNG, with separate string objects
 * on each side as files would give; only `reconcile` is timed.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/reconcile.js [fills]`.
 */
import { Prng } from '../src/engine/index.js'
import { reconcile } from '../src/reconcile/index.js'
import type { TradeRecord } from '../src/reconcile/index.js'
import { runAsScript } from './script.js'

export interface ReconcileBench {
  readonly fills: number
  readonly seconds: number
  readonly fills_per_s: number
  /** Peak RSS of a process that only builds the input and reconciles it (earlier bench sections excluded). */
  readonly peak_rss_mb: number
  /** RSS holding the two inputs alone (after a GC, before reconcile): what the records themselves take. */
  readonly input_rss_mb: number
  readonly discrepancies: number
  /** Discrepancies injected (a repeat or a rename counts one; the report must find each). */
  readonly injected: number
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT']
const BASE_PRICE = [3_000_000, 200_000, 10_000, 50] // cents

/** An integer `n` shown with `scale` decimals, exactly. */
function scaled(n: number, scale: number): string {
  const digits = String(Math.abs(n)).padStart(scale + 1, '0')
  return `${n < 0 ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

interface Raw {
  id: number
  order: number
  ts: number
  symbol: number
  buy: boolean
  cents: number
  micros: number
}

function record(r: Raw, tag: string, priceCents = r.cents, micros = r.micros, feeExtra = 0, buy = r.buy, id = `${tag}${r.id}`): TradeRecord {
  const product = priceCents * micros // cost × 1e8, exact below 2^53
  const fee = r.cents * r.micros + feeExtra // the fee as first charged: a changed price or amount leaves it alone
  return {
    venue: 'binance',
    id,
    order: `${r.order}`,
    clientOrderId: `grid-${r.order}`,
    timestamp: r.ts,
    symbol: SYMBOLS[r.symbol] as string,
    side: buy ? 'buy' : 'sell',
    price: scaled(priceCents, 2),
    amount: scaled(micros, 6),
    cost: scaled(product, 8),
    fee: { cost: scaled(fee, 11), currency: 'USDT' },
  }
}

/** The two sides, and how many discrepancies were injected. */
export function reconcileData(fills: number, seed = 7, rate = 0.01): { internal: TradeRecord[]; exchange: TradeRecord[]; injected: number } {
  const prng = new Prng(seed)
  const internal: TradeRecord[] = []
  const exchange: TradeRecord[] = []
  let injected = 0
  let ts = Date.UTC(2025, 0, 1)
  for (let i = 0; i < fills; i++) {
    ts += 1 + (prng.nextUint32() % 50)
    const symbol = prng.nextUint32() % SYMBOLS.length
    const base = BASE_PRICE[symbol] as number
    const raw: Raw = {
      id: 100_000_000 + i,
      order: 5_000_000 + (i >> 1),
      ts,
      symbol,
      buy: prng.next() < 0.5,
      cents: base + (prng.nextUint32() % Math.max(1, base >> 6)),
      micros: 1 + (prng.nextUint32() % 2_000_000),
    }
    internal.push(record(raw, ''))
    if (prng.next() >= rate) {
      exchange.push(record(raw, ''))
      continue
    }
    injected++
    switch (prng.nextUint32() % 8) {
      case 0: // the exchange never saw it
        break
      case 1: // a trade Sofia missed, next to a good one
        exchange.push(record(raw, ''))
        exchange.push(record({ ...raw, id: raw.id + 900_000_000 }, ''))
        break
      case 2:
        exchange.push(record(raw, ''))
        exchange.push(record(raw, ''))
        break
      case 3:
        exchange.push(record(raw, '', Math.round(raw.cents * 1.01) + 1))
        break
      case 4:
        exchange.push(record(raw, '', raw.cents, raw.micros + 1))
        break
      case 5:
        exchange.push(record(raw, '', raw.cents, raw.micros, 1))
        break
      case 6:
        exchange.push(record(raw, '', raw.cents, raw.micros, 0, !raw.buy))
        break
      default: // renamed: matched by (order, time, amount), so not a discrepancy
        injected--
        exchange.push(record(raw, 'x'))
    }
  }
  return { internal, exchange, injected }
}

/**
 * Runs the benchmark in a process of its own (`node --expose-gc dist/bench/reconcile.js`), so that its peak RSS is
 * its own and not that of the bench sections run before it in the same process.
 */
export async function benchReconcileIsolated(fills = 1_000_000): Promise<ReconcileBench> {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(import.meta.url)
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, String(fills)], { maxBuffer: 1 << 20 }, (error, stdout) => (error !== null ? reject(error) : resolve(stdout)))
  })
  return JSON.parse(out) as ReconcileBench
}

export async function benchReconcile(fills = 1_000_000): Promise<ReconcileBench> {
  const { internal, exchange, injected } = reconcileData(fills)
  ;(globalThis as { gc?: () => void }).gc?.()
  const inputRss = process.memoryUsage().rss
  const t0 = performance.now()
  const report = await reconcile(internal, exchange, { now: () => 0 })
  const seconds = (performance.now() - t0) / 1000
  return {
    fills,
    seconds: Math.round(seconds * 1000) / 1000,
    fills_per_s: Math.round(fills / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    input_rss_mb: Math.round(inputRss / 1_048_576),
    discrepancies: report.counts.discrepancies,
    injected,
  }
}

runAsScript(import.meta.url, (fills) => benchReconcile(fills))

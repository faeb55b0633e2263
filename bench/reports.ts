/**
 * @module bench/reports
 * The daily report over a busy day: a SQLite store (temporary directory) holding 100,000 fills of one UTC day
 * across 3 strategies, 2 venues and 4 symbols, one order per fill (with its decision price), starting deposits
 * and the audit chain the system writes beside them (a `fill` record per fill, plus risk denials, a kill-switch
 * round trip and alerts). Timed: `generateDailyReport` end to end (replay through the ledger, attribution, audit
 * scan, Markdown + JSON + HTML written, reports index updated). Target ≤ 2 s.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/reports.js [fills]`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLog } from '../src/audit/index.js'
import { Prng } from '../src/engine/index.js'
import { Decimal } from '../src/model/index.js'
import { generateDailyReport } from '../src/ops/pnl/index.js'
import { openStore } from '../src/store/index.js'
import type { StoredFill, StoredOrder } from '../src/store/index.js'
import { runAsScript } from './script.js'

const DAY = Date.parse('2024-03-01T00:00:00Z')
const SYMBOLS = [
  { symbol: 'BTC/USDT', price: 60_000, step: 0.0001 },
  { symbol: 'ETH/USDT', price: 3_000, step: 0.001 },
  { symbol: 'SOL/USDT', price: 150, step: 0.01 },
  { symbol: 'XRP/USDT', price: 0.6, step: 1 },
]
const STRATEGIES = ['mm', 'arb', 'trend']
const VENUES = ['alpha', 'beta']

export async function benchReports(fills = 100_000): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-reports-'))
  try {
    const store = await openStore({ dataDir: dir, file: join(dir, 'sofia.db') })
    const rng = new Prng(7)
    const audit = new AuditLog()
    const deposits = VENUES.flatMap((venue) => [
      { venue, asset: 'USDT', amount: '10000000', ts: DAY - 1000, reason: 'initial balance' },
      ...SYMBOLS.map((s) => ({ venue, asset: s.symbol.split('/')[0]!, amount: '1000', ts: DAY - 1000, reason: 'initial balance' })),
    ])
    await store.write({ deposits })
    const prices = SYMBOLS.map((s) => s.price)
    const batchSize = 5000
    for (let start = 0; start < fills; start += batchSize) {
      const orders: StoredOrder[] = []
      const batch: StoredFill[] = []
      for (let i = start; i < Math.min(fills, start + batchSize); i++) {
        const k = i % SYMBOLS.length
        const s = SYMBOLS[k]!
        prices[k] = prices[k]! * (1 + (rng.next() - 0.5) * 0.002)
        const ts = DAY + Math.floor((i / fills) * 86_400_000)
        const price = new Decimal(prices[k]!.toFixed(s.price < 1 ? 4 : 2))
        const decision = price.mul(1 + (rng.next() - 0.5) * 0.0004).toDecimalPlaces(s.price < 1 ? 4 : 2)
        const amount = new Decimal(s.step).mul(1 + Math.floor(rng.next() * 100))
        const cost = price.mul(amount)
        const side = rng.next() < 0.5 ? 'buy' : 'sell'
        const strategyId = STRATEGIES[i % STRATEGIES.length]!
        const venue = VENUES[(i >> 2) % VENUES.length]!
        const clientOrderId = `${strategyId}-${i}`
        orders.push({
          clientOrderId,
          strategyId,
          venue,
          symbol: s.symbol,
          type: 'limit',
          side,
          amount: amount.toString(),
          price: decision.toString(),
          decisionPrice: decision.toString(),
          state: 'closed',
          venueOrderId: `O${i}`,
          filled: amount.toString(),
          cost: cost.toString(),
          reason: null,
          createdAt: ts,
          updatedAt: ts,
        })
        const fill: StoredFill = {
          venue,
          tradeId: `T${i}`,
          clientOrderId,
          venueOrderId: `O${i}`,
          strategyId,
          symbol: s.symbol,
          side,
          price: price.toString(),
          amount: amount.toString(),
          cost: cost.toString(),
          feeCost: cost.mul('0.001').toString(),
          feeCurrency: 'USDT',
          takerOrMaker: 'taker',
          timestamp: ts,
        }
        batch.push(fill)
        audit.append('fill', 'system', { clientOrderId, venue, tradeId: fill.tradeId, symbol: s.symbol, side, price: fill.price, amount: fill.amount }, ts)
        if (i % 5000 === 17) audit.append('risk.denied', 'system', { clientOrderId: `x${i}`, code: 'MAX_OPEN_ORDERS', reason: 'too many' }, ts)
        if (i % 20_000 === 99) audit.append('alert', 'system', { name: 'slippage_ratio', level: 'warning', detail: 'above 1.5' }, ts)
        if (i === Math.floor(fills / 2)) {
          audit.append('kill_switch.activated', 'operator:ann', { action: 'activated', trigger: 'manual', reason: 'drill' }, ts)
          audit.append('kill_switch.deactivated', 'operator:ann', { action: 'deactivated', trigger: null, reason: 'drill over' }, ts + 1)
        }
      }
      await store.write({ orders, fills: batch, audit: audit.drain() })
    }
    const started = performance.now()
    const result = await generateDailyReport(store, { day: DAY, dataDir: dir, send: false })
    const seconds = (performance.now() - started) / 1000
    await store.close()
    if (result.report.pnl.totals.fills !== fills) throw new Error(`bench: report counted ${result.report.pnl.totals.fills} fills, wrote ${fills}`)
    return { fills, daily_report_seconds: Number(seconds.toFixed(3)) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, (n) => benchReports(n))

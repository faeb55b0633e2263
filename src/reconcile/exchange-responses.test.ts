/**
 * Reconciliation over real exchange responses (ccxt's fixtures captured from live accounts; see
 * shared/data/SOURCES.md §4), read in place from ../shared, never copied.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dec } from '../model/index.js'
import { ccxtTrade } from './ccxt-trade.js'
import { reconcile } from './reconcile.js'
import { readTradeFile } from './trade-file.js'
import type { TradeRecord } from './trade-record.js'

const RESPONSES = fileURLToPath(new URL('../../../shared/data/exchange-responses/', import.meta.url))

interface Case {
  description: string
  httpResponse: unknown
  parsedResponse: unknown
}

function cases(exchange: string, method: string): Case[] {
  return JSON.parse(readFileSync(join(RESPONSES, exchange, `${method}.json`), 'utf8')) as Case[]
}

async function readBack(trades: unknown[]): Promise<TradeRecord[]> {
  const path = join(mkdtempSync(join(tmpdir(), 'sofia-responses-')), 'trades.json')
  writeFileSync(path, JSON.stringify(trades))
  const out: TradeRecord[] = []
  for await (const batch of readTradeFile(path)) out.push(...batch)
  return out
}

describe('bitvavo: fetchMyTrades against the fills inside fetchOrders', () => {
  interface RawFill { id: string; timestamp: string; amount: string; price: string; fee: string; feeCurrency: string }
  interface RawOrder { orderId: string; market: string; side: 'buy' | 'sell'; clientOrderId: string; fills: RawFill[] }

  /** Sofia's side, from the raw REST bodies (strings, the ground truth) of the orders' embedded fills. */
  function fillsOfOrders(): TradeRecord[] {
    const raw = cases('bitvavo', 'fetchOrders')[0]!.httpResponse as RawOrder[]
    return raw.flatMap((o) =>
      o.fills.map((f) => ({
        venue: 'bitvavo',
        id: f.id,
        order: o.orderId,
        clientOrderId: o.clientOrderId,
        timestamp: Number(f.timestamp),
        symbol: o.market.replace('-', '/'),
        side: o.side,
        price: f.price,
        amount: f.amount,
        cost: dec(f.price).mul(f.amount).toString(),
        fee: { cost: f.fee, currency: f.feeCurrency },
      })),
    )
  }

  it('matches both trades by id; the third order is outside the two fetched', async () => {
    const exchange = await readBack(cases('bitvavo', 'fetchMyTrades')[0]!.parsedResponse as unknown[])
    expect(exchange).toHaveLength(2)
    const r = await reconcile(fillsOfOrders(), exchange, { venue: 'bitvavo' })
    expect(r.counts).toMatchObject({ matched: 2, pairsById: 2, matchedWithDifference: 0 })
    expect(r.discrepancies.map((d) => [d.type, d.id])).toEqual([['missing_exchange', '7cfcac66-6f14-4c60-a43b-561160f82e11']])
    expect(r.discrepancies[0]!.internal[0]).toMatchObject({ order: 'cc365406-280a-45a6-8b07-c690657bea09', side: 'sell', price: '34464', fee: { cost: '0.0228', currency: 'EUR' } })
  })

  it('matches by order, time and amount when the ids are unknown', async () => {
    const exchange = (await readBack(cases('bitvavo', 'fetchMyTrades')[0]!.parsedResponse as unknown[])).map((t) => ({ ...t, id: `unknown-${t.id}` }))
    const r = await reconcile(fillsOfOrders(), exchange, { venue: 'bitvavo' })
    expect(r.counts).toMatchObject({ matched: 2, pairsByOrder: 2 })
    expect(r.discrepancies.map((d) => d.type)).toEqual(['missing_exchange'])
  })
})

describe.each([
  ['binance', 3],
  ['kucoin', 1],
])('%s fetchMyTrades against a changed copy', (exchange, count) => {
  async function parsed(): Promise<TradeRecord[]> {
    const trades = cases(exchange, 'fetchMyTrades').flatMap((c) => c.parsedResponse as unknown[])
    expect(trades).toHaveLength(count)
    return readBack(trades)
  }

  it('an unchanged copy reconciles', async () => {
    const ex = await parsed()
    const r = await reconcile(ex.map((t) => ({ ...t })), ex, { venue: exchange })
    expect(r.status).toBe('ok')
    expect(r.counts.matched).toBe(count)
  })

  it('finds each change with both sides', async () => {
    const ex = await parsed()
    const first = ex[0]!
    const internal: TradeRecord[] = [
      { ...first, price: dec(first.price).mul('1.002').toString(), fee: { cost: dec(first.fee!.cost).add('0.000001').toString(), currency: first.fee!.currency } },
    ]
    const r = await reconcile(internal, ex, { venue: exchange })
    const types = r.discrepancies.map((d) => d.type)
    expect(types.filter((t) => t === 'missing_internal')).toHaveLength(count - 1)
    expect(types.filter((t) => t !== 'missing_internal')).toEqual(['price_mismatch', 'fee_mismatch'])
    const price = r.discrepancies.find((d) => d.type === 'price_mismatch')!
    expect(price.exchange[0]!.price).toBe(String((cases(exchange, 'fetchMyTrades')[0]!.parsedResponse as { price: number }[])[0]!.price))
    expect(price.relativeDifference).toBe('0.002')
  })

  it('accepts every fixture trade as a CCXT unified trade', () => {
    for (const c of cases(exchange, 'fetchMyTrades')) {
      for (const t of c.parsedResponse as unknown[]) expect(() => ccxtTrade(t)).not.toThrow()
    }
  })
})

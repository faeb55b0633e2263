import { describe, expect, it } from 'vitest'
import { InputError, dec } from '../model/index.js'
import { reconcile } from './reconcile.js'
import type { ReconcileOptions } from './reconcile.js'
import type { DiscrepancyType } from './report.js'
import type { TradeRecord } from './trade-record.js'

const T0 = Date.UTC(2025, 0, 2, 12)

function trade(over: Partial<TradeRecord> = {}): TradeRecord {
  return {
    venue: 'binance',
    id: 't1',
    order: 'o1',
    clientOrderId: 'c1',
    timestamp: T0,
    symbol: 'BTC/USDT',
    side: 'buy',
    price: '30000',
    amount: '0.5',
    cost: '15000',
    fee: { cost: '15', currency: 'USDT' },
    ...over,
  }
}

function bare(): TradeRecord {
  const { venue: _venue, ...rest } = trade()
  return rest
}

function types(r: Awaited<ReturnType<typeof reconcile>>): DiscrepancyType[] {
  return r.discrepancies.map((d) => d.type)
}

interface Case {
  name: string
  internal: TradeRecord[]
  exchange: TradeRecord[]
  options?: ReconcileOptions
  expect: DiscrepancyType[]
  matched?: number
  withDifference?: number
}

const CASES: Case[] = [
  { name: 'identical', internal: [trade()], exchange: [trade()], expect: [], matched: 1 },
  { name: 'exchange has a trade we lack', internal: [], exchange: [trade()], expect: ['missing_internal'] },
  { name: 'we have a trade the exchange lacks', internal: [trade()], exchange: [], expect: ['missing_exchange'] },
  { name: 'duplicate on the exchange', internal: [trade()], exchange: [trade(), trade()], expect: ['duplicate'], matched: 1 },
  {
    // Both orders ours on an exchange without self-trade prevention: one trade id, a buy and a sell.
    name: 'a self-trade: one trade id, two fills of ours on opposite sides',
    internal: [trade(), trade({ side: 'sell', order: 'o2', clientOrderId: 'c2' })],
    exchange: [trade({ side: 'sell', order: 'o2', clientOrderId: 'c2' }), trade()],
    expect: [],
    matched: 2,
  },
  {
    name: 'a self-trade with one half missing internally',
    internal: [trade()],
    exchange: [trade(), trade({ side: 'sell', order: 'o2' })],
    expect: ['missing_internal'],
    matched: 1,
  },
  {
    name: 'a self-trade half repeated on the exchange',
    internal: [trade(), trade({ side: 'sell', order: 'o2' })],
    exchange: [trade(), trade({ side: 'sell', order: 'o2' }), trade({ side: 'sell', order: 'o2' })],
    expect: ['duplicate'],
    matched: 2,
  },
  { name: 'duplicate internally (first copy matched)', internal: [trade(), trade()], exchange: [trade()], expect: ['duplicate'], matched: 1 },
  {
    name: 'duplicate internally (no exchange copy)',
    internal: [trade(), trade()],
    exchange: [],
    expect: ['missing_exchange', 'duplicate'],
  },
  { name: 'price beyond 0.1%', internal: [trade()], exchange: [trade({ price: '30031' })], expect: ['price_mismatch'], matched: 0 },
  { name: 'price within tolerance', internal: [trade()], exchange: [trade({ price: '30029.99' })], expect: [], matched: 1, withDifference: 1 },
  { name: 'same number written differently', internal: [trade()], exchange: [trade({ price: '30000.000' })], expect: [], matched: 1, withDifference: 0 },
  { name: 'amount differs', internal: [trade()], exchange: [trade({ amount: '0.50000001' })], expect: ['amount_mismatch'] },
  {
    name: 'amount within a given tolerance',
    internal: [trade()],
    exchange: [trade({ amount: '0.50000001' })],
    options: { amountTolerance: '0.000001' },
    // The pair matches; the position it leaves behind differs, with no trade discrepancy to explain it.
    expect: ['position_mismatch'],
    matched: 1,
    withDifference: 1,
  },
  { name: 'fee differs', internal: [trade()], exchange: [trade({ fee: { cost: '15.01', currency: 'USDT' } })], expect: ['fee_mismatch'] },
  { name: 'fee currency differs', internal: [trade()], exchange: [trade({ fee: { cost: '15', currency: 'BNB' } })], expect: ['fee_mismatch'] },
  { name: 'fee unknown on the exchange is not compared', internal: [trade()], exchange: [trade({ fee: null })], expect: [], matched: 1 },
  { name: 'side differs', internal: [trade()], exchange: [trade({ side: 'sell' })], expect: ['side_mismatch'] },
  {
    name: 'several fields of one pair',
    internal: [trade()],
    exchange: [trade({ side: 'sell', price: '31000', fee: { cost: '16', currency: 'USDT' } })],
    expect: ['side_mismatch', 'price_mismatch', 'fee_mismatch'],
  },
  {
    name: 'fallback: different trade ids, same order, close in time, same amount',
    internal: [trade({ id: 'sofia-1' })],
    exchange: [trade({ id: '99887766', timestamp: T0 + 400 })],
    expect: [],
    matched: 1,
  },
  {
    name: 'fallback picks the closest in time among fills of one order',
    internal: [trade({ id: 'a', timestamp: T0 }), trade({ id: 'b', timestamp: T0 + 500, price: '30010' })],
    exchange: [trade({ id: 'x', timestamp: T0 + 490, price: '30010' }), trade({ id: 'y', timestamp: T0 + 10 })],
    expect: [],
    matched: 2,
  },
  {
    name: 'fallback refuses outside the window',
    internal: [trade({ id: 'sofia-1' })],
    exchange: [trade({ id: '99887766', timestamp: T0 + 1001 })],
    expect: ['missing_exchange', 'missing_internal'],
  },
  {
    name: 'fallback refuses a different amount',
    internal: [trade({ id: 'sofia-1' })],
    exchange: [trade({ id: '99887766', amount: '0.4' })],
    expect: ['missing_exchange', 'missing_internal'],
  },
  {
    name: 'fallback refuses another order',
    internal: [trade({ id: 'sofia-1' })],
    exchange: [trade({ id: '99887766', order: 'o2' })],
    expect: ['missing_exchange', 'missing_internal'],
  },
  {
    name: 'fallback match still compares the price',
    internal: [trade({ id: 'sofia-1' })],
    exchange: [trade({ id: '99887766', price: '31000' })],
    expect: ['price_mismatch'],
  },
  {
    name: 'same id on two venues are two trades',
    internal: [trade(), trade({ venue: 'kraken' })],
    exchange: [trade(), trade({ venue: 'kraken' })],
    expect: [],
    matched: 2,
  },
  {
    name: 'a venue-less exchange record takes the venue option',
    internal: [trade()],
    exchange: [bare()],
    options: { venue: 'binance' },
    expect: [],
    matched: 1,
  },
  {
    name: 'time range excludes trades on both sides',
    internal: [trade(), trade({ id: 't2', timestamp: T0 + 60_000 })],
    exchange: [trade()],
    options: { to: T0 + 60_000 },
    expect: [],
    matched: 1,
  },
]

describe('reconcile', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const r = await reconcile(c.internal, c.exchange, c.options)
      expect(types(r).sort()).toEqual([...c.expect].sort())
      expect(r.status).toBe(c.expect.length === 0 ? 'ok' : 'discrepancies')
      if (c.matched !== undefined) expect(r.counts.matched).toBe(c.matched)
      if (c.withDifference !== undefined) expect(r.counts.matchedWithDifference).toBe(c.withDifference)
    })
  }

  it('reports both sides of a price mismatch with exact differences', async () => {
    const r = await reconcile([trade()], [trade({ price: '30300' })])
    const d = r.discrepancies[0]!
    expect(d).toMatchObject({
      type: 'price_mismatch',
      venue: 'binance',
      symbol: 'BTC/USDT',
      id: 't1',
      matchedBy: 'id',
      internalValue: '30000',
      exchangeValue: '30300',
      difference: '-300',
      relativeDifference: '-0.00990099009901',
    })
    expect(d.internal[0]).toMatchObject({ id: 't1', price: '30000', datetime: '2025-01-02T12:00:00.000Z', fee: { cost: '15', currency: 'USDT' } })
    expect(d.exchange[0]).toMatchObject({ id: 't1', price: '30300' })
  })

  it('decides the tolerance boundary exactly', async () => {
    // |30030 − 30000| = 30 = 0.001 × 30000 exactly: within. One unit in the 12th place more: beyond.
    const at = await reconcile([trade({ price: '30030' })], [trade()])
    expect(at.counts.matchedWithDifference).toBe(1)
    const over = await reconcile([trade({ price: '30030.000000000001' })], [trade()])
    expect(types(over)).toEqual(['price_mismatch'])
  })

  it('lists within-tolerance differences separately', async () => {
    const r = await reconcile([trade({ price: '30001' })], [trade()])
    expect(r.differences).toEqual([
      { field: 'price', venue: 'binance', symbol: 'BTC/USDT', id: 't1', exchangeId: 't1', matchedBy: 'id', internalValue: '30001', exchangeValue: '30000', relativeDifference: '0.0000333333333333' },
    ])
  })

  it('records which pairs matched by the fallback', async () => {
    const r = await reconcile([trade({ id: 's1' })], [trade({ id: 'e1', price: '40000' })])
    expect(r.counts).toMatchObject({ pairs: 1, pairsById: 0, pairsByOrder: 1 })
    expect(r.discrepancies[0]).toMatchObject({ type: 'price_mismatch', matchedBy: 'order_time_amount', id: 'e1' })
    expect(r.discrepancies[0]!.internal[0]!.id).toBe('s1')
  })

  it('derives net positions per symbol from both sides', async () => {
    const internal = [trade(), trade({ id: 't2', side: 'sell', amount: '0.2' })]
    const exchange = [trade(), trade({ id: 't2', side: 'sell', amount: '0.2' }), trade({ id: 't3', amount: '1' })]
    const r = await reconcile(internal, exchange)
    expect(types(r)).toEqual(['missing_internal'])
    expect(r.positions).toEqual([
      { kind: 'position', source: 'trades', venue: 'binance', key: 'BTC/USDT', internal: '0.3', exchange: '1.3', difference: '-1', status: 'mismatch', explained: true },
    ])
  })

  it('flags a position that drifts although every trade matched within tolerance', async () => {
    const r = await reconcile([trade({ amount: '0.5001' })], [trade()], { amountTolerance: '0.001' })
    expect(types(r)).toEqual(['position_mismatch'])
    expect(r.discrepancies[0]).toMatchObject({ internalValue: '0.5001', exchangeValue: '0.5', difference: '0.0001' })
  })

  it('compares given positions and balances', async () => {
    const r = await reconcile([trade()], [trade()], {
      positions: { internal: { 'BTC/USDT': '0.5' }, exchange: new Map([['BTC/USDT', dec('0.5')]]) },
      balances: { internal: { USDT: '1000', BTC: '0.5' }, exchange: { USDT: '999.99', BTC: '0.5', ETH: '1' } },
    })
    expect(types(r).sort()).toEqual(['balance_mismatch', 'balance_mismatch'])
    expect(r.discrepancies.map((d) => [d.symbol, d.internalValue, d.exchangeValue])).toEqual(
      expect.arrayContaining([
        ['USDT', '1000', '999.99'],
        ['ETH', '0', '1'],
      ]),
    )
    expect(r.positions.filter((p) => p.source === 'given')).toHaveLength(4)
  })

  it('accepts Decimal money (Sofia Trade objects) and async batched sources', async () => {
    async function* batches(): AsyncGenerator<TradeRecord[]> {
      yield [trade({ price: dec('30000'), amount: dec('0.5'), fee: { cost: dec(15), currency: 'USDT' } })]
    }
    const r = await reconcile(batches(), [trade()])
    expect(r.status).toBe('ok')
    expect(r.counts.matched).toBe(1)
  })

  it('serializes to JSON and back unchanged', async () => {
    const r = await reconcile([trade(), trade({ id: 'x' })], [trade({ price: '1' })], { now: () => T0 })
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
    expect(r.generatedAt).toBe('2025-01-02T12:00:00.000Z')
    expect(r.inputs).toMatchObject({ priceTolerance: '0.001', amountTolerance: '0', feeTolerance: '0', timeWindowMs: 1000 })
    expect(r.counts.byType).toMatchObject({ price_mismatch: 1, missing_exchange: 1, duplicate: 0 })
  })

  it('refuses a negative tolerance', async () => {
    await expect(reconcile([], [], { priceTolerance: '-0.1' })).rejects.toBeInstanceOf(InputError)
  })

  it('finds every injected discrepancy among many records', async () => {
    const internal: TradeRecord[] = []
    const exchange: TradeRecord[] = []
    for (let i = 0; i < 10_000; i++) {
      const t = trade({ id: `t${i}`, order: `o${i}`, timestamp: T0 + i, price: `${30000 + (i % 97)}.${i % 10}`, amount: `0.${1000 + i}` })
      internal.push(t)
      if (i % 1000 === 1) continue
      exchange.push(i % 1000 === 2 ? { ...t, price: '1' } : { ...t })
    }
    const r = await reconcile(internal, exchange)
    expect(r.counts.byType.missing_exchange).toBe(10)
    expect(r.counts.byType.price_mismatch).toBe(10)
    expect(r.counts.discrepancies).toBe(20)
    expect(r.counts.matched).toBe(9980)
  })
})

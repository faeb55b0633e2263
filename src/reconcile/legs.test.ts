import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditLog, jsonlLine, readJsonl } from '../audit/index.js'
import { InputError } from '../model/index.js'
import { MemoryStore } from '../store/index.js'
import type { StoredFill } from '../store/index.js'
import { ExchangeLegs } from './legs.js'
import { reconcile } from './reconcile.js'
import type { TradeRecord } from './trade-record.js'

const dir = mkdtempSync(join(tmpdir(), 'sofia-legs-'))

async function all(batches: AsyncIterable<TradeRecord[]>): Promise<TradeRecord[]> {
  const out: TradeRecord[] = []
  for await (const b of batches) out.push(...b)
  return out
}

function storedFill(id: string, clientOrderId: string, over: Partial<StoredFill> = {}): StoredFill {
  return {
    venue: 'xsim',
    tradeId: id,
    clientOrderId,
    venueOrderId: `O-${id}`,
    strategyId: 's',
    symbol: 'BTC/USDT',
    side: 'buy',
    price: '100',
    amount: '1',
    cost: '100',
    feeCost: '0.1',
    feeCurrency: 'USDT',
    takerOrMaker: 'taker',
    timestamp: 1_000,
    ...over,
  }
}

function shadowOrder(clientOrderId: string, mode = 'canary', venue = 'xsim'): [string, unknown] {
  return ['shadow.order', { mode, venue, clientOrderId, symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '1' }]
}

function canaryFill(id: string, clientOrderId: string, over: Record<string, unknown> = {}): [string, unknown] {
  return ['canary.fill', { id, order: `E-${id}`, clientOrderId, symbol: 'BTC/USDT', side: 'buy', price: '100', amount: '0.1', fee: '0.01', feeCurrency: 'USDT', timestamp: 1_000, ...over }]
}

function fillRecord(f: StoredFill): [string, unknown] {
  return ['fill', { clientOrderId: f.clientOrderId, venue: f.venue, tradeId: f.tradeId, symbol: f.symbol, side: f.side, price: f.price, amount: f.amount, cost: f.cost, fee: { cost: f.feeCost, currency: f.feeCurrency }, takerOrMaker: f.takerOrMaker, orderState: 'filled' }]
}

/** A store holding `fills` and an audit chain of `records`. */
async function storeWith(fills: StoredFill[], records: [string, unknown][]): Promise<MemoryStore> {
  const store = new MemoryStore()
  const log = new AuditLog()
  records.forEach(([type, payload], i) => log.append(type, 'system', payload, 500 + i))
  await store.write({ fills, audit: log.drain() })
  return store
}

describe('ExchangeLegs', () => {
  // A shadow order, a canary order (simulator full size, exchange 10%), a live order, and one of another venue.
  const fills = [
    storedFill('xsim-shadow1-a', 'shadow-1'),
    storedFill('xsim-shadow1-b', 'canary-1'),
    storedFill('E-live-1', 'live-1', { timestamp: 2_000 }),
    storedFill('other-1', 'shadow-1', { venue: 'other' }),
  ]
  const records: [string, unknown][] = [
    shadowOrder('shadow-1', 'shadow'),
    ['order.intent', { clientOrderId: 'shadow-1' }],
    shadowOrder('canary-1'),
    ['canary.order', { clientOrderId: 'canary-1', amount: '0.1' }],
    canaryFill('E-canary-1', 'canary-1'),
    ['mode.changed', { venue: 'xsim', from: 'canary', to: 'live' }],
  ]

  it("keeps the exchange's fills, leaves out the simulator's, adds the canary's exchange fills", async () => {
    const store = await storeWith(fills, records)
    const legs = await ExchangeLegs.scan(() => store.iterateAudit({}, 2))
    expect(legs.isSimulated('xsim', 'canary-1')).toBe(true)
    expect(legs.isSimulated('other', 'shadow-1')).toBe(false)
    expect(legs.isSimulated('xsim', 'live-1')).toBe(false)
    expect([...legs.symbols]).toEqual(['BTC/USDT'])
    expect([...legs.venues]).toEqual(['xsim'])
    const got = await all(legs.storeTrades(store))
    expect(got.map((t) => [t.venue, t.id])).toEqual([
      ['other', 'other-1'],
      ['xsim', 'E-live-1'],
      ['xsim', 'E-canary-1'],
    ])
    expect(got[2]).toEqual({
      venue: 'xsim',
      id: 'E-canary-1',
      order: 'E-E-canary-1',
      clientOrderId: 'canary-1',
      timestamp: 1_000,
      symbol: 'BTC/USDT',
      side: 'buy',
      price: '100',
      amount: '0.1',
      cost: null,
      fee: { cost: '0.01', currency: 'USDT' },
    })
    expect(legs.selection()).toEqual({ exchangeLegsOnly: true, kept: 2, excludedSimulated: 2, canaryFills: 1, shadowOrders: 2 })
  })

  it('filters by venue and time range; a canary fill takes the venue of its shadow order', async () => {
    const store = await storeWith(fills, [...records, shadowOrder('canary-2', 'canary', 'other'), canaryFill('E-canary-2', 'canary-2', { timestamp: 3_000 })])
    const xsim = await ExchangeLegs.scan(() => store.iterateAudit(), { venue: 'xsim' })
    expect((await all(xsim.storeTrades(store, { venue: 'xsim' }))).map((t) => t.id)).toEqual(['E-live-1', 'E-canary-1'])
    expect(xsim.selection()).toMatchObject({ kept: 1, excludedSimulated: 2, canaryFills: 1, shadowOrders: 2 })
    const late = await ExchangeLegs.scan(() => store.iterateAudit(), { from: 1_500 })
    expect((await all(late.storeTrades(store, { since: 1_500 }))).map((t) => [t.venue, t.id])).toEqual([
      ['xsim', 'E-live-1'],
      ['other', 'E-canary-2'],
    ])
  })

  it('reconciles a mixed-mode record against what the exchange has; a changed canary amount is found', async () => {
    const store = await storeWith(fills.slice(0, 3), records)
    const exchange: TradeRecord[] = [
      { venue: 'xsim', id: 'E-canary-1', order: 'E-E-canary-1', clientOrderId: 'canary-1', timestamp: 1_000, symbol: 'BTC/USDT', side: 'buy', price: '100.0', amount: '0.1', fee: { cost: '0.01', currency: 'USDT' } },
      { venue: 'xsim', id: 'E-live-1', order: 'O-E-live-1', clientOrderId: 'live-1', timestamp: 2_000, symbol: 'BTC/USDT', side: 'buy', price: '100', amount: '1', fee: { cost: '0.1', currency: 'USDT' } },
    ]
    const legs = await ExchangeLegs.scan(() => store.iterateAudit())
    const ok = await reconcile(legs.storeTrades(store), exchange, { venue: 'xsim' })
    expect(ok.status).toBe('ok')
    expect(ok.counts.pairsById).toBe(2)
    expect(ok.positions).toEqual([expect.objectContaining({ key: 'BTC/USDT', internal: '1.1', exchange: '1.1', status: 'ok' })])
    const bad = await reconcile(legs.storeTrades(store), [{ ...exchange[0]!, amount: '0.2' }, exchange[1]!], { venue: 'xsim' })
    expect(bad.discrepancies.map((d) => [d.type, d.id, d.internalValue, d.exchangeValue])).toEqual([['amount_mismatch', 'E-canary-1', '0.1', '0.2']])
    // Without the selection: the simulator's fills are missing on the exchange, the canary's missing internally.
    const raw = await all((async function* () {
      for await (const b of store.iterateFills()) yield b.map((f) => ({ venue: f.venue, id: f.tradeId, clientOrderId: f.clientOrderId, timestamp: f.timestamp, symbol: f.symbol, side: f.side, price: f.price, amount: f.amount }))
    })())
    const unselected = await reconcile(raw, exchange, { venue: 'xsim' })
    expect(unselected.counts.byType).toMatchObject({ missing_exchange: 2, missing_internal: 1 })
  })

  it("reads an audit export: its fill records less the simulator's, plus the canary fills", async () => {
    const log = new AuditLog()
    const chain: [string, unknown][] = [records[0]!, fillRecord(fills[0]!), records[2]!, fillRecord(fills[1]!), records[4]!, fillRecord(fills[2]!)]
    chain.forEach(([type, payload], i) => log.append(type, 'system', payload, 500 + i))
    const path = join(dir, 'chain.jsonl')
    writeFileSync(path, `${log.drain().map(jsonlLine).join('\n')}\n`)
    const legs = await ExchangeLegs.scan(() => readJsonl(path), { label: path })
    expect((await all(legs.auditTrades())).map((t) => t.id)).toEqual(['E-canary-1', 'E-live-1'])
    expect(legs.selection()).toMatchObject({ kept: 1, excludedSimulated: 2, canaryFills: 1 })
    const empty = join(dir, 'empty.jsonl')
    const log2 = new AuditLog()
    log2.append('order.intent', 'system', {}, 1)
    writeFileSync(empty, `${log2.drain().map(jsonlLine).join('\n')}\n`)
    const none = await ExchangeLegs.scan(() => readJsonl(empty), { label: empty })
    await expect(all(none.auditTrades())).rejects.toThrow(new InputError(`no trades in ${empty}`))
  })

  it('names the record of a bad canary fill', async () => {
    const store = await storeWith([], [shadowOrder('c'), canaryFill('E', 'c', { side: 'hold' })])
    await expect(ExchangeLegs.scan(() => store.iterateAudit(), { label: 'store audit' })).rejects.toThrow(`store audit: seq 2 (canary.fill): field 'payload.side': expected "buy" or "sell", got "hold"`)
  })
})

describe('ExchangeLegs: paper and backtest sessions', () => {
  it('counts the fills of a paper session as simulated, from its start to the next session’s', async () => {
    const store = new MemoryStore()
    const log = new AuditLog()
    log.append('session.started', 'system', { mode: 'live' }, 0)
    log.append('session.started', 'system', { mode: 'paper' }, 100)
    log.append('session.started', 'system', { mode: 'live' }, 200)
    log.append('session.started', 'system', { mode: 'backtest' }, 300)
    const fills = [storedFill('a', 'c-a', { timestamp: 50 }), storedFill('b', 'c-b', { timestamp: 150 }), storedFill('c', 'c-c', { timestamp: 250 }), storedFill('d', 'c-d', { timestamp: 350 })]
    await store.write({ fills, audit: log.drain() })
    const legs = await ExchangeLegs.scan(() => store.iterateAudit(), { paperSessions: true })
    expect((await all(legs.storeTrades(store))).map((t) => t.id)).toEqual(['a', 'c'])
    // Reconciliation's own selection leaves paper sessions as they are.
    const recon = await ExchangeLegs.scan(() => store.iterateAudit())
    expect((await all(recon.storeTrades(store))).map((t) => t.id)).toEqual(['a', 'b', 'c', 'd'])
    expect(legs.selection()).toMatchObject({ kept: 2, excludedSimulated: 2 })
  })

  it('a paper session switched to live: its fills from the switch on are the exchange’s, and simulated again after a switch back to paper', async () => {
    const store = new MemoryStore()
    const log = new AuditLog()
    log.append('session.started', 'system', { mode: 'paper' }, 100)
    log.append('mode.changed', 'operator:test', { venue: 'x', from: 'paper', to: 'live', cancelled: 0, secondaryCancelled: 0 }, 200)
    log.append('mode.changed', 'operator:test', { venue: 'x', from: 'live', to: 'paper', cancelled: 0, secondaryCancelled: 0 }, 300)
    log.append('mode.changed', 'operator:test', { venue: 'x', from: 'paper', to: 'shadow', cancelled: 0, secondaryCancelled: 0 }, 400)
    const fills = [storedFill('a', 'c-a', { timestamp: 150 }), storedFill('b', 'c-b', { timestamp: 250 }), storedFill('c', 'c-c', { timestamp: 350 }), storedFill('d', 'c-d', { timestamp: 450 })]
    await store.write({ fills, audit: log.drain() })
    const legs = await ExchangeLegs.scan(() => store.iterateAudit(), { paperSessions: true })
    // d is a shadow order's fill only with its `shadow.order` record (none here): kept.
    expect((await all(legs.storeTrades(store))).map((t) => t.id)).toEqual(['b', 'd'])
  })
})

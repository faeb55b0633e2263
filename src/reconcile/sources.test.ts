import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditLog, jsonlLine } from '../audit/index.js'
import { InputError, dec } from '../model/index.js'
import type { Trade } from '../model/index.js'
import { MemoryStore } from '../store/index.js'
import type { StoredFill } from '../store/index.js'
import { auditTrades, storeTrades, venueTrades } from './sources.js'
import { readTradeFile } from './trade-file.js'
import type { TradeRecord } from './trade-record.js'

const dir = mkdtempSync(join(tmpdir(), 'sofia-reconcile-'))

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

async function all(batches: AsyncIterable<TradeRecord[]>): Promise<TradeRecord[]> {
  const out: TradeRecord[] = []
  for await (const b of batches) out.push(...b)
  return out
}

async function failure(batches: AsyncIterable<TradeRecord[]>): Promise<InputError> {
  try {
    await all(batches)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

const GOOD = {
  id: '309520010',
  order: '3784695242',
  timestamp: 1698138992358,
  symbol: 'LTC/USDT',
  side: 'sell',
  price: 69.63,
  amount: 0.2,
  cost: 13.926,
  fee: { cost: 0.013926, currency: 'USDT' },
}

function line(over: Record<string, unknown>): string {
  return JSON.stringify({ ...GOOD, ...over })
}

describe('readTradeFile', () => {
  it('reads a JSON array and JSONL alike, keeping money exact', async () => {
    const array = await all(readTradeFile(file('a.json', JSON.stringify([GOOD, { ...GOOD, id: 2, price: '69.630', fee: null }], null, 2))))
    const lines = await all(readTradeFile(file('a.jsonl', `\uFEFF${line({})}\n\n${line({ id: 2, price: '69.630', fee: null })}`)))
    for (const got of [array, lines]) {
      expect(got).toEqual([
        { id: '309520010', order: '3784695242', clientOrderId: null, timestamp: 1698138992358, symbol: 'LTC/USDT', side: 'sell', price: '69.63', amount: '0.2', cost: '13.926', fee: { cost: '0.013926', currency: 'USDT' } },
        { id: '2', order: '3784695242', clientOrderId: null, timestamp: 1698138992358, symbol: 'LTC/USDT', side: 'sell', price: '69.630', amount: '0.2', cost: '13.926', fee: null },
      ])
    }
  })

  it('streams in batches', async () => {
    const text = `[${Array.from({ length: 2500 }, (_, i) => line({ id: i })).join(',')}]`
    const sizes: number[] = []
    for await (const b of readTradeFile(file('many.json', text), { batchSize: 1000 })) sizes.push(b.length)
    expect(sizes).toEqual([1000, 1000, 500])
  })

  const BAD: [string, string, string, string][] = [
    ['malformed JSONL line', 'x.jsonl', `${line({})}\n{"id": 1,\n`, 'FILE:2: not valid JSON'],
    ['malformed array record', 'x.json', `[${line({})}, {"id": tru}]`, 'FILE: record 2: not valid JSON'],
    ['price not a number', 'x.jsonl', `${line({})}\n${line({})}\n${line({ price: 'abc' })}\n`, `FILE:3: field 'price': expected a decimal number, got "abc"`],
    ['side not buy/sell', 'x.json', `[${line({ side: 'long' })}]`, `FILE: record 1: field 'side': expected "buy" or "sell", got "long"`],
    ['timestamp not an integer', 'x.jsonl', line({ timestamp: 1698138992358.5 }), `FILE:1: field 'timestamp': expected an integer (ms since 1970), got 1698138992358.5`],
    ['timestamp a string', 'x.jsonl', line({ timestamp: '2023-10-24' }), `FILE:1: field 'timestamp': expected an integer (ms since 1970), got "2023-10-24"`],
    ['missing amount', 'x.json', `[${JSON.stringify({ ...GOOD, amount: undefined })}]`, `FILE: record 1: field 'amount': missing`],
    ['missing id', 'x.jsonl', JSON.stringify({ ...GOOD, id: null }), `FILE:1: field 'id': missing`],
    ['fee cost not a number', 'x.jsonl', line({ fee: { cost: 'x', currency: 'USDT' } }), `FILE:1: field 'fee.cost': expected a decimal number, got "x"`],
    ['not an object', 'x.json', '[[1,2]]', 'FILE: record 1: expected a CCXT trade object {id, order, timestamp, symbol, side, price, amount, fee}, got [1,2]'],
    ['empty file', 'x.json', '', 'no trades in FILE'],
    ['whitespace only', 'x.jsonl', '\n\n  \n', 'no trades in FILE'],
    ['empty array', 'x.json', '[ ]', 'no trades in FILE'],
    ['truncated array', 'x.json', `[${line({})},`, 'FILE: record 2: file ends inside the array (truncated?)'],
  ]
  for (const [name, fileName, content, message] of BAD) {
    it(`bad input: ${name}`, async () => {
      const path = file(fileName, content)
      const error = await failure(readTradeFile(path))
      expect(error.message).toBe(message.replace('FILE', path))
      expect(error.message).not.toContain('\n')
    })
  }

  it('names a missing file', async () => {
    const error = await failure(readTradeFile(join(dir, 'nope.json')))
    expect(error.message).toBe(`cannot read ${join(dir, 'nope.json')}: no such file`)
  })
})

function storedFill(i: number, over: Partial<StoredFill> = {}): StoredFill {
  return {
    venue: 'alpha',
    tradeId: `alpha-T${i}`,
    clientOrderId: `c${i}`,
    venueOrderId: `alpha-O${i}`,
    strategyId: 's',
    symbol: 'BTC/USDT',
    side: 'buy',
    price: '100.5',
    amount: '0.1',
    cost: '10.05',
    feeCost: '0.01',
    feeCurrency: 'USDT',
    takerOrMaker: 'taker',
    timestamp: 1_000 + i,
    ...over,
  }
}

describe('storeTrades', () => {
  it("gives the store's fills as records, filtered", async () => {
    const store = new MemoryStore()
    await store.write({ fills: [storedFill(1), storedFill(2, { venue: 'beta', tradeId: 'beta-T2' }), storedFill(3)] })
    const got = await all(storeTrades(store, { venue: 'alpha' }))
    expect(got.map((t) => t.id)).toEqual(['alpha-T1', 'alpha-T3'])
    expect(got[0]).toEqual({
      venue: 'alpha',
      id: 'alpha-T1',
      order: 'alpha-O1',
      clientOrderId: 'c1',
      timestamp: 1001,
      symbol: 'BTC/USDT',
      side: 'buy',
      price: '100.5',
      amount: '0.1',
      cost: '10.05',
      fee: { cost: '0.01', currency: 'USDT' },
    })
  })
})

describe('auditTrades', () => {
  function fillPayload(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      clientOrderId: `c${i}`,
      venue: 'alpha',
      tradeId: `alpha-T${i}`,
      symbol: 'BTC/USDT',
      side: 'sell',
      price: '100.5',
      amount: '0.1',
      cost: '10.05',
      fee: { cost: '0.01', currency: 'USDT' },
      takerOrMaker: 'taker',
      orderState: 'filled',
      ...over,
    }
  }

  function chain(payloads: [string, unknown][]): string {
    const log = new AuditLog()
    payloads.forEach(([type, payload], i) => log.append(type, 'system', payload, 5_000 + i))
    return `${log.drain().map(jsonlLine).join('\n')}\n`
  }

  it("reads the payloads of the chain's fill records", async () => {
    const path = file('chain.jsonl', chain([['order.intent', { x: 1 }], ['fill', fillPayload(1)], ['kill_switch.activated', {}], ['fill', fillPayload(2)]]))
    const got = await all(auditTrades(path))
    expect(got.map((t) => [t.id, t.timestamp, t.side, t.price])).toEqual([
      ['alpha-T1', 5001, 'sell', '100.5'],
      ['alpha-T2', 5003, 'sell', '100.5'],
    ])
  })

  it('names the record and field of a bad fill payload', async () => {
    const path = file('bad-chain.jsonl', chain([['fill', fillPayload(1)], ['fill', fillPayload(2, { side: 'hold' })]]))
    const error = await failure(auditTrades(path))
    expect(error.message).toBe(`${path}: seq 2: field 'payload.side': expected "buy" or "sell", got "hold"`)
  })

  it('refuses a chain without fills, and a malformed line', async () => {
    const none = file('nofills.jsonl', chain([['order.intent', {}]]))
    expect((await failure(auditTrades(none))).message).toBe(`no trades in ${none}`)
    const broken = file('broken.jsonl', `${chain([['fill', fillPayload(1)]])}{oops\n`)
    expect((await failure(auditTrades(broken))).message).toBe(`${broken}:2: not valid JSON`)
  })
})

describe('venueTrades', () => {
  function sofiaTrade(i: number, timestamp: number): Trade {
    return {
      id: `T${i}`,
      order: `O${i}`,
      clientOrderId: `c${i}`,
      venue: 'alpha',
      symbol: 'BTC/USDT',
      timestamp,
      side: 'buy',
      price: dec('100'),
      amount: dec('1'),
      cost: dec('100'),
      fee: { cost: dec('0.1'), currency: 'USDT' },
      takerOrMaker: 'taker',
    }
  }

  /** A venue answering like CCXT: trades with timestamp ≥ since, oldest first, at most `limit`. */
  function fakeVenue(trades: Trade[]): { calls: (number | undefined)[]; fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]> } {
    const calls: (number | undefined)[] = []
    return {
      calls,
      fetchMyTrades(_symbol?: string, since?: number, limit?: number): Promise<Trade[]> {
        calls.push(since)
        return Promise.resolve(trades.filter((t) => since === undefined || t.timestamp >= since).slice(0, limit))
      },
    }
  }

  it('pages by since without losing or repeating trades that share a millisecond', async () => {
    // Five trades at t=10 with a page of 3: the next page starts at 10 again and skips what it saw, then
    // a page of only seen trades doubles the page size.
    const stamps = [1, 2, 10, 10, 10, 10, 10, 11, 12, 13]
    const venue = fakeVenue(stamps.map((ts, i) => sofiaTrade(i, ts)))
    const got = await all(venueTrades(venue, { since: 0, limit: 3 }))
    expect(got.map((t) => t.id)).toEqual(stamps.map((_, i) => `T${i}`))
  })

  it('keeps both halves of a self-trade (one trade id, a buy and a sell) when a page ends between them', async () => {
    const half = (i: number, side: 'buy' | 'sell', ts: number): Trade => ({ ...sofiaTrade(i, ts), side, clientOrderId: `c${i}${side}` })
    const venue = fakeVenue([half(0, 'sell', 1), half(0, 'buy', 1), half(1, 'sell', 7), half(1, 'buy', 7), half(2, 'buy', 8)])
    const got = await all(venueTrades(venue, { since: 0, limit: 3 }))
    expect(got.map((t) => `${t.id} ${t.side}`)).toEqual(['T0 sell', 'T0 buy', 'T1 sell', 'T1 buy', 'T2 buy'])
  })

  it('asks for a bigger page when a full page of one millisecond holds nothing new', async () => {
    const venue = fakeVenue([sofiaTrade(0, 5), sofiaTrade(1, 5), sofiaTrade(2, 6)])
    const got = await all(venueTrades(venue, { since: 0, limit: 2 }))
    expect(got.map((t) => t.id)).toEqual(['T0', 'T1', 'T2'])
    expect(venue.calls).toEqual([0, 5, 5])
  })

  it('without since, asks the venue for its whole history (not its last page)', async () => {
    const venue = fakeVenue([1, 2, 3, 4, 5].map((ts, i) => sofiaTrade(i, ts)))
    const got = await all(venueTrades(venue, { limit: 2 }))
    expect(got.map((t) => t.id)).toEqual(['T0', 'T1', 'T2', 'T3', 'T4'])
    expect(venue.calls).toEqual([undefined])
  })

  it('honours since and until', async () => {
    const venue = fakeVenue([1, 2, 3, 4, 5].map((ts, i) => sofiaTrade(i, ts)))
    const got = await all(venueTrades(venue, { since: 2, until: 4, limit: 100 }))
    expect(got.map((t) => t.timestamp)).toEqual([2, 3])
  })
})

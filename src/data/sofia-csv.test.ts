import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { MarketEvent } from '../model/index.js'
import { collectEvents, openMarketData } from './open-market-data.js'
import { parseDecimal, SOFIA_CSV_HEADER } from './sofia-csv.js'
import { sofiaCsvRow, writeSofiaCsv } from './sofia-csv-writer.js'
import { syntheticSource } from './synthetic-market.js'
import { tempFile, tempPath } from './test-helpers.js'

describe('parseDecimal', () => {
  it.each([
    '0', '1', '12', '0.1', '0.00002837', '43000.51', '59896.94', '1.1044842', '0.0001', '123456789012345',
    '1234567890123456789', '0.1234567890123456789', '1e-7', '-2.5', '+3', '.5', '5.', '00012.50', '9007199254740993',
  ])('%s gives what Number() gives', (text) => {
    expect(parseDecimal(`x${text}y`, 1, text.length + 1)).toBe(Number(text))
  })

  it.each(['', '.', 'abc', '1.2.3', '1,5'])('%j is NaN', (text) => {
    expect(parseDecimal(text, 0, text.length)).toBeNaN()
  })
})

describe('sofia-csv', () => {
  it('round-trips trades and quotes through writer and reader, across 1 MB chunk boundaries', async () => {
    const events: MarketEvent[] = []
    for await (const batch of syntheticSource({ count: 40_000, seed: 3, bookEvery: 5 })) events.push(...batch)
    const path = tempPath('roundtrip.csv')
    const result = await writeSofiaCsv(path, events)
    const rows = events.filter((e) => e.kind === 'trade' || e.kind === 'quote')
    expect(result).toEqual({ rows: rows.length, skipped: events.length - rows.length })
    expect(result.skipped).toBeGreaterThan(0) // book snapshots have no row form
    const data = await openMarketData(path, { batchSize: 1000 })
    expect(data.info).toMatchObject({ format: 'sofia-csv' })
    const back = await collectEvents(data.source)
    expect(back).toEqual(rows)
    expect(data.stats).toMatchObject({ rows: rows.length, events: rows.length, badRows: 0 })
  })

  it('writes the documented header and row shapes', () => {
    expect(sofiaCsvRow({ kind: 'trade', venue: 'alpha', symbol: 'BTC/USDT', timestamp: 5, price: 43000.5, amount: 0.015, side: 'buy' })).toBe(
      '5,alpha,BTC/USDT,trade,43000.5,0.015,buy,,,,',
    )
    expect(
      sofiaCsvRow({ kind: 'quote', venue: 'beta', symbol: 'ETH/USDT', timestamp: 6, bid: 3000.1, bidSize: 2, ask: 3000.2, askSize: 0.5 }),
    ).toBe('6,beta,ETH/USDT,quote,,,,3000.1,2,3000.2,0.5')
    expect(SOFIA_CSV_HEADER.split(',')).toHaveLength(11)
  })

  it('reads gzip, CRLF, a reordered header, an id column and a symbol from options', async () => {
    const text = ['kind,timestamp,price,amount,side,id', 'trade,1000,10.5,2,,t1', 'trade,1000,10.25,1,sell,', ''].join('\r\n')
    const path = tempFile('ticks.csv.gz', text, { gzip: true })
    const data = await openMarketData(path, { symbol: 'ABC/USDT', venue: 'v1' })
    expect(data.info).toMatchObject({ format: 'sofia-csv', gzip: true })
    expect(await collectEvents(data.source)).toEqual([
      { kind: 'trade', venue: 'v1', symbol: 'ABC/USDT', timestamp: 1000, price: 10.5, amount: 2, id: 't1' },
      { kind: 'trade', venue: 'v1', symbol: 'ABC/USDT', timestamp: 1000, price: 10.25, amount: 1, side: 'sell' },
    ])
  })

  it('reads a final line without a newline and ignores blank lines', async () => {
    const path = tempFile('tail.csv', `${SOFIA_CSV_HEADER}\n\n1,a,X/Y,trade,1,1,buy,,,,\n\n2,a,X/Y,trade,2,1,sell,,,,`)
    const events = await collectEvents((await openMarketData(path)).source)
    expect(events.map((e) => e.timestamp)).toEqual([1, 2])
  })

  it('rejects rows with too many fields', async () => {
    const path = tempFile('wide.csv', `${SOFIA_CSV_HEADER}\n1,a,X/Y,trade,1,1,buy,,,,,extra\n`)
    await expect(collectEvents((await openMarketData(path)).source)).rejects.toThrow(`${path}:2: expected 11 fields, got more`)
  })

  it('writes a file the size of its rows (no stray bytes)', async () => {
    const path = tempPath('small.csv')
    await writeSofiaCsv(path, [{ kind: 'trade', venue: 'a', symbol: 'X/Y', timestamp: 1, price: 2, amount: 3 }])
    expect(readFileSync(path, 'utf8')).toBe(`${SOFIA_CSV_HEADER}\n1,a,X/Y,trade,2,3,,,,,\n`)
  })
})

/**
 * Binance's public dumps come as one CSV in a .zip: `sofia backtest` reads the zip as it is (no unzip step) and
 * gives exactly the report of the same CSV unzipped. The rows are real trades of ../shared/data laid out as
 * data.binance.vision writes them. A zip with several files, and a damaged zip, are one line, exit 2.
 */
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import yazl from 'yazl'
import { collectEvents, openMarketData } from '../src/data/index.js'
import type { TradeTick } from '../src/model/index.js'
import { SHARED_DATA, sofia } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sofia-zip-'))

function zip(path: string, files: Record<string, string>): Promise<void> {
  const z = new yazl.ZipFile()
  for (const [name, text] of Object.entries(files)) z.addBuffer(Buffer.from(text), name)
  z.end()
  return new Promise((resolve, reject) => {
    z.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject)
  })
}

interface Report {
  events: number
  fills: number
  netPnl: string
  orders: Record<string, number>
}

function backtest(file: string): Report {
  const r = sofia(['backtest', '--strategy', 'sma-cross', '--data', file, '--store', 'none', '--json'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  const x = JSON.parse(r.stdout) as Report
  return { events: x.events, fills: x.fills, netPnl: x.netPnl, orders: x.orders }
}

describe('zipped Binance dumps', () => {
  it('a trades dump read from its .zip gives the same ticks and the same backtest as the CSV', async () => {
    const ticks = (await collectEvents((await openMarketData(join(SHARED_DATA, 'trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz'))).source)) as TradeTick[]
    const csv = ticks.map((t, i) => `${t.id ?? i + 1},${t.price},${t.amount},${t.price * t.amount},${t.timestamp},${t.side === 'sell' ? 'true' : 'false'},true`).join('\n') + '\n'
    const plain = join(dir, 'XRPETH-trades-2019-10-11.csv')
    writeFileSync(plain, csv)
    const zipped = join(dir, 'XRPETH-trades-2019-10-11.zip')
    await zip(zipped, { 'XRPETH-trades-2019-10-11.csv': csv })
    expect(readFileSync(zipped).length).toBeLessThan(csv.length / 2)
    const data = await openMarketData(zipped)
    expect(data.info).toMatchObject({ format: 'binance-trades-csv', venue: 'binance', symbol: 'XRP/ETH' })
    const fromZip = (await collectEvents(data.source)) as TradeTick[]
    expect(fromZip.length).toBe(ticks.length)
    expect(fromZip).toEqual((await collectEvents((await openMarketData(plain)).source)) as TradeTick[])
    const a = backtest(zipped)
    expect(a.fills).toBeGreaterThan(0)
    expect(a).toEqual(backtest(plain))
  })

  it('a zip of several files, and a damaged zip, are refused in one line naming the file (exit 2)', async () => {
    const several = join(dir, 'BTCUSDT-1m-2024-01.zip')
    await zip(several, { 'BTCUSDT-1m-2024-01-01.csv': '1,2\n', 'BTCUSDT-1m-2024-01-02.csv': '1,2\n' })
    const r = sofia(['backtest', '--strategy', 'sma-cross', '--data', several, '--store', 'none'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`sofia: ${several}: a zip with 2 files (BTCUSDT-1m-2024-01-01.csv, BTCUSDT-1m-2024-01-02.csv); unzip it and pass the one to read\n`)
    const good = join(dir, 'BTCUSDT-1m-2024-01-03.zip')
    await zip(good, { 'BTCUSDT-1m-2024-01-03.csv': '1704240000000,42000.1,42010,41990,42005,12.5,1704240059999,525000,100,6,252000,0\n'.repeat(200) })
    const damaged = join(dir, 'BTCUSDT-1m-2024-01-04.zip')
    writeFileSync(damaged, readFileSync(good).subarray(0, 60))
    const d = sofia(['backtest', '--strategy', 'sma-cross', '--data', damaged, '--store', 'none'])
    expect(d.code).toBe(2)
    expect(d.stderr).toMatch(new RegExp(`^sofia: ${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (not a readable zip|corrupt)[^\\n]*\\n$`))
  })
})

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MarketEvent } from '../model/index.js'
import { openMarket } from './session.js'

const T0 = Date.UTC(2024, 0, 1)

/** `count` 1m candles; from bar `finerFrom` on, prices carry 4 decimals instead of 2. */
function candles(count: number, finerFrom: number, start: number): string {
  const rows: string[] = []
  for (let i = 0; i < count; i++) {
    const p = i < finerFrom ? (start + (i % 50) / 100).toFixed(2) : (start + (i % 50) / 100 + 0.0001).toFixed(4)
    rows.push(`[${T0 + i * 60_000},${p},${p},${p},${p},1.5]`)
  }
  return `[\n${rows.join(',\n')}\n]\n`
}

async function drain(setup: { source: AsyncIterable<readonly MarketEvent[]> }): Promise<MarketEvent[]> {
  const out: MarketEvent[] = []
  for await (const batch of setup.source) out.push(...batch)
  return out
}

describe('openMarket on recorded files', () => {
  let dir: string
  let a: string
  let b: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sofia-open-market-'))
    a = join(dir, 'test_AAA-USDT_1m.json')
    b = join(dir, 'test_BBB-USDT_1m.json')
    // Prices go to 4 decimals at bar 5,500: past the 5,000 an instrument is inferred from, inside the 6,144
    // that three 2,048-event batches held.
    await writeFile(a, candles(6_000, 5_500, 100))
    await writeFile(b, candles(300, 300, 20))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const tickOf = (setup: Awaited<ReturnType<typeof openMarket>>, symbol: string): string =>
    setup.venues.flatMap((v) => v.instruments).find((i) => i.symbol === symbol)!.tickSize.toString()

  it('infers an instrument from the first 5,000 events of its file, alone or merged with another file', async () => {
    const alone = await openMarket({ data: [a] })
    const merged = await openMarket({ data: [a, b] })
    expect(tickOf(alone, 'AAA/USDT')).toBe('0.01')
    expect(tickOf(merged, 'AAA/USDT')).toBe('0.01')
    expect(tickOf(merged, 'BBB/USDT')).toBe('0.01')
  })

  it('merges every event of every file in time order, the earlier file first on equal times', async () => {
    const events = await drain(await openMarket({ data: [a, b] }))
    expect(events).toHaveLength(6_300)
    for (let i = 1; i < events.length; i++) {
      const [p, e] = [events[i - 1]!, events[i]!]
      expect(p.timestamp < e.timestamp || (p.timestamp === e.timestamp && p.symbol === 'AAA/USDT' && e.symbol === 'BBB/USDT')).toBe(true)
    }
    expect(events.filter((e) => e.symbol === 'BBB/USDT')).toHaveLength(300)
  })
})

/**
 * @module ops/pnl/reports.test
 * P&L on hand-computed fills, UTC periods, slippage sign, CSV, the exact attribution identity on randomized
 * fills, and the HTML page (inlined uPlot, embedded data that parses back). Stores: memory (the port) and a
 * SQLite file (the direct reader), which must agree.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Prng } from '../../engine/index.js'
import { Decimal, InputError, dec } from '../../model/index.js'
import { openStore } from '../../store/index.js'
import type { Store, StoredFill, StoredOrder } from '../../store/index.js'
import {
  CSV_COLUMNS,
  Replay,
  attribute,
  buildDailyReport,
  dayPeriod,
  extractEmbeddedData,
  fillSlippageBps,
  generateDailyReport,
  parseCostsJsonl,
  parseMarks,
  parsePeriod,
  parseUtcDate,
  portSource,
  renderDailyHtml,
  replayPnl,
  sumOfParts,
  summarizePnl,
  uplotAssets,
  writeFillsCsv,
} from './index.js'
import type { CostRecord, ReportFill, ReportSender } from './index.js'

const DAY = Date.parse('2024-03-01T00:00:00Z')
const H = 3_600_000

function fill(p: Partial<StoredFill> & Pick<StoredFill, 'tradeId' | 'strategyId' | 'venue' | 'symbol' | 'side' | 'price' | 'amount' | 'feeCost' | 'timestamp'>): StoredFill {
  return {
    clientOrderId: `c-${p.tradeId}`,
    venueOrderId: `o-${p.tradeId}`,
    cost: dec(p.price).mul(p.amount).toString(),
    feeCurrency: 'USDT',
    takerOrMaker: 'taker',
    ...p,
  }
}

function order(f: StoredFill, decisionPrice: string | null, state: StoredOrder['state'] = 'closed', reason: string | null = null): StoredOrder {
  return {
    clientOrderId: f.clientOrderId,
    strategyId: f.strategyId,
    venue: f.venue,
    symbol: f.symbol,
    type: 'limit',
    side: f.side,
    amount: f.amount,
    price: f.price,
    decisionPrice,
    state,
    venueOrderId: f.venueOrderId,
    filled: state === 'closed' ? f.amount : '0',
    cost: state === 'closed' ? f.cost : '0',
    reason,
    createdAt: f.timestamp,
    updatedAt: f.timestamp,
  }
}

/** Two strategies on two venues: A wins 10 on BTC, B loses 5 on ETH and keeps 1 ETH; fees; one denied order. */
const FILLS = [
  fill({ tradeId: 't1', strategyId: 'A', venue: 'alpha', symbol: 'BTC/USDT', side: 'buy', price: '100', amount: '1', feeCost: '0.1', timestamp: DAY + 1 * H }),
  fill({ tradeId: 't2', strategyId: 'A', venue: 'alpha', symbol: 'BTC/USDT', side: 'sell', price: '110', amount: '1', feeCost: '0.11', timestamp: DAY + 2 * H }),
  fill({ tradeId: 't3', strategyId: 'B', venue: 'beta', symbol: 'ETH/USDT', side: 'buy', price: '50', amount: '2', feeCost: '0.1', timestamp: DAY + 3 * H }),
  fill({ tradeId: 't4', strategyId: 'B', venue: 'beta', symbol: 'ETH/USDT', side: 'sell', price: '45', amount: '1', feeCost: '0.045', timestamp: DAY + 4 * H }),
]
const DECISIONS = ['99', '111', '50', '44']
const GAS: CostRecord = { ts: DAY + 5 * H, kind: 'gas', amount: dec('0.5'), currency: 'USDT', strategyId: 'B', venue: 'beta' }

async function seed(store: Store): Promise<void> {
  const denied = fill({ tradeId: 'x', strategyId: 'B', venue: 'beta', symbol: 'ETH/USDT', side: 'buy', price: '50', amount: '100', feeCost: '0', timestamp: DAY + 6 * H })
  await store.write({
    orders: [...FILLS.map((f, i) => order(f, DECISIONS[i]!)), order(denied, '50', 'denied', 'MAX_OPEN_ORDERS: 5 open')],
    fills: FILLS,
    deposits: [{ venue: 'alpha', asset: 'USDT', amount: '1000', ts: DAY - H, reason: 'initial balance' }],
  })
}

async function stores(): Promise<[string, Store][]> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-reports-'))
  const sqlite = await openStore({ dataDir: dir, file: join(dir, 'sofia.db') })
  const memory = await openStore({ dataDir: '', memory: true })
  await seed(sqlite)
  await seed(memory)
  return [
    ['sqlite', sqlite],
    ['memory', memory],
  ]
}

describe('P&L accounting', () => {
  it('matches hand-computed figures by strategy, venue, symbol and day, on both readers', async () => {
    for (const [name, store] of await stores()) {
      const period = dayPeriod(DAY)
      const replay = await replayPnl(store, { from: period.from, to: period.to, costs: [GAS] })
      const s = summarizePnl(replay, period)
      const t = s.totals
      expect(t.realizedPnl.toString(), name).toBe('5')
      expect(t.fees.toString()).toBe('0.355')
      expect(t.costs.toString()).toBe('0.5')
      expect(t.netPnl.toString()).toBe('4.145')
      expect(t.unrealizedPnl?.toString()).toBe('-5') // 1 ETH at the last fill price 45, bought at 50
      expect([t.closingFills, t.wins, t.losses]).toEqual([2, 1, 1])
      expect(t.winRate).toBe(0.5)
      expect(t.orders).toMatchObject({ closed: 4, denied: 1 })
      expect(s.orderReasons).toEqual([{ state: 'denied', reason: 'MAX_OPEN_ORDERS: 5 open', count: 1 }])
      const byStrategy = Object.fromEntries(s.byStrategy.map((r) => [r.key, r]))
      expect(byStrategy['A']!.netPnl.toString()).toBe('9.79')
      expect(byStrategy['B']!.netPnl.toString()).toBe('-5.645')
      expect(byStrategy['B']!.unrealizedPnl?.toString()).toBe('-5')
      expect(s.byVenue.map((r) => [r.key, r.realizedPnl.toString(), r.costs.toString()])).toEqual([
        ['alpha', '10', '0'],
        ['beta', '-5', '0.5'],
      ])
      expect(s.bySymbol.find((r) => r.key === 'ETH/USDT')!.fees.toString()).toBe('0.145')
      expect(s.byDay.map((r) => [r.key, r.netPnl.toString()])).toEqual([['2024-03-01', '4.145']])
      // Slippage cost: A pays 1 on each fill; B's sell at 45 against 44 gains 1.
      expect(t.slippageCost.toString()).toBe('1')
      expect(t.adverseFills).toBe(2)
      await store.close()
    }
  })

  it('values open positions at a marks file when given', async () => {
    const store = (await stores())[0]![1]
    const period = dayPeriod(DAY)
    const replay = await replayPnl(store, { from: period.from, to: period.to, endMarks: parseMarks('{"beta:ETH/USDT": "52.5"}', 'marks.json') })
    const s = summarizePnl(replay, period, 'marks.json')
    expect(s.totals.unrealizedPnl?.toString()).toBe('2.5')
    expect(s.marks.source).toMatch(/^marks\.json/)
    await store.close()
  })

  it('refuses a bad marks or costs file with the place of the error', () => {
    expect(() => parseMarks('{"beta:ETH/USDT": -1}', 'm.json')).toThrow(/m\.json: mark 'beta:ETH\/USDT' must be a price > 0/)
    expect(() => parseCostsJsonl('{"ts":1,"kind":"gas","amount":"1","currency":"USDT"}\n{"ts":1,"kind":"tip"}', 'c.jsonl')).toThrow(/c\.jsonl:2: field 'kind'/)
    const [c] = parseCostsJsonl('{"ts":"2024-03-01T05:00:00Z","kind":"funding","amount":"-0.25","currency":"USDT"}\n', 'c.jsonl')
    expect(c).toMatchObject({ ts: DAY + 5 * H, kind: 'funding' })
    expect(c!.amount.toString()).toBe('-0.25')
  })
})

describe('periods (UTC)', () => {
  const now = Date.parse('2024-03-02T12:00:00Z')
  it.each([
    ['today', '2024-03-02T00:00:00.000Z', '2024-03-03T00:00:00.000Z'],
    ['yesterday', '2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z'],
    ['7d', '2024-02-25T00:00:00.000Z', '2024-03-03T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
  ])('%s', (value, from, to) => {
    const p = parsePeriod('--period', value, now)
    expect(new Date(p.from!).toISOString()).toBe(from)
    expect(new Date(p.to!).toISOString()).toBe(to)
  })

  it.each(['2024-02-30', '2024-3-1', 'last week', ''])('refuses %j', (value) => {
    expect(() => parsePeriod('--period', value, now)).toThrow(InputError)
  })

  it('puts a fill at 23:59:59.999 in its day and one at 00:00:00.000 in the next', async () => {
    const store = await openStore({ dataDir: '', memory: true })
    const f1 = fill({ tradeId: 'a', strategyId: 'S', venue: 'v', symbol: 'BTC/USDT', side: 'buy', price: '10', amount: '1', feeCost: '0', timestamp: DAY + 86_400_000 - 1 })
    const f2 = fill({ tradeId: 'b', strategyId: 'S', venue: 'v', symbol: 'BTC/USDT', side: 'sell', price: '12', amount: '1', feeCost: '0', timestamp: DAY + 86_400_000 })
    await store.write({ fills: [f1, f2] })
    const day1 = summarizePnl(await replayPnl(store, dayPeriod(DAY)), dayPeriod(DAY))
    const day2 = summarizePnl(await replayPnl(store, dayPeriod(parseUtcDate('--date', '2024-03-02'))), dayPeriod(DAY))
    expect([day1.totals.fills, day1.totals.realizedPnl.toString(), day1.totals.unrealizedPnl?.toString()]).toEqual([1, '0', '0'])
    // The 2nd day realizes against the cost carried over from the 1st.
    expect([day2.totals.fills, day2.totals.realizedPnl.toString()]).toEqual([1, '2'])
    await store.close()
  })
})

describe('slippage', () => {
  it.each([
    ['buy', '101', '100', '100'],
    ['buy', '99', '100', '-100'],
    ['sell', '99', '100', '100'],
    ['sell', '101', '100', '-100'],
  ] as const)('%s at %s against %s is %s bps (worse is positive)', (side, price, decision, bps) => {
    expect(fillSlippageBps(side, dec(price), dec(decision))!.toString()).toBe(bps)
  })

  it('is undefined without a decision price', () => {
    expect(fillSlippageBps('buy', dec('1'), undefined)).toBeUndefined()
  })
})

describe('CSV export', () => {
  it('writes the standard columns and exact values, one row per fill', async () => {
    const store = (await stores())[0]![1]
    const replay = await replayPnl(store, { keepFills: true })
    const file = join(mkdtempSync(join(tmpdir(), 'sofia-csv-')), 'fills.csv')
    expect(await writeFillsCsv(file, replay.fills)).toBe(4)
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    expect(lines[0]).toBe('timestamp,venue,symbol,side,price,amount,cost,fee,fee_currency,strategy,client_order_id,trade_id,realized_pnl,slippage_bps')
    expect(lines[1]).toBe('2024-03-01T01:00:00.000Z,alpha,BTC/USDT,buy,100,1,100,0.1,USDT,A,c-t1,t1,0,101.010101')
    expect(lines[2]).toBe('2024-03-01T02:00:00.000Z,alpha,BTC/USDT,sell,110,1,110,0.11,USDT,A,c-t2,t2,10,90.09009')
    expect(lines[4]).toBe('2024-03-01T04:00:00.000Z,beta,ETH/USDT,sell,45,1,45,0.045,USDT,B,c-t4,t4,-5,-227.272727')
    await store.close()
  })
})

describe('attribution', () => {
  it('splits the hand-computed day exactly', async () => {
    const store = (await stores())[0]![1]
    const period = dayPeriod(DAY)
    const a = attribute(await replayPnl(store, { from: period.from, to: period.to, costs: [GAS] }), period)
    const rows = Object.fromEntries(a.byStrategy.map((r) => [r.key, r]))
    expect([rows['A']!.alpha, rows['A']!.slippage, rows['A']!.netPnl].map(String)).toEqual(['12', '2', '9.79'])
    expect([rows['B']!.alpha, rows['B']!.slippage, rows['B']!.costs, rows['B']!.netPnl].map(String)).toEqual(['-11', '-1', '0.5', '-10.645'])
    expect(a.totals.netPnl.toString()).toBe('-0.855')
    await store.close()
  })

  it('parts add up to net P&L exactly on randomized fills, carried positions and costs', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rng = new Prng(seed)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!
      const from = DAY + 86_400_000
      const to = from + 86_400_000
      const costs: CostRecord[] = []
      for (let i = 0; i < 8; i++) {
        costs.push({ ts: from - H + Math.floor(rng.next() * 26 * H), kind: pick(['gas', 'funding', 'network_fee'] as const), amount: new Decimal(((rng.next() - 0.3) * 3).toFixed(6)), currency: 'USDT', ...(rng.next() < 0.7 ? { strategyId: pick(['s1', 's2']) } : {}) })
      }
      const r = new Replay({ from, to, costs })
      r.setOrders([])
      r.setDeposits([])
      const prices: Record<string, number> = { 'BTC/USDT': 30_000, 'ETH/USDT': 2_000 }
      let ts = DAY
      for (let i = 0; i < 400; i++) {
        ts += Math.floor(rng.next() * 600_000)
        const symbol = pick(['BTC/USDT', 'ETH/USDT'])
        prices[symbol] = prices[symbol]! * (1 + (rng.next() - 0.5) * 0.01)
        const price = new Decimal(prices[symbol]!.toFixed(rng.next() < 0.5 ? 2 : 5))
        const amount = new Decimal((rng.next() * 3 + 0.0001).toFixed(4))
        const fee = price.mul(amount).mul('0.00075')
        const inBase = rng.next() < 0.2
        const f: ReportFill = {
          venue: pick(['v1', 'v2']),
          tradeId: `t${i}`,
          clientOrderId: `c${i}`,
          venueOrderId: `o${i}`,
          strategyId: pick(['s1', 's2']),
          symbol,
          side: rng.next() < 0.5 ? 'buy' : 'sell',
          price: price.toString(),
          amount: amount.toString(),
          cost: price.mul(amount).toString(),
          feeCost: (inBase ? amount.mul('0.001') : fee).toString(),
          feeCurrency: inBase ? symbol.split('/')[0]! : 'USDT',
          takerOrMaker: 'maker',
          timestamp: ts,
          decisionPrice: rng.next() < 0.1 ? null : price.mul(1 + (rng.next() - 0.5) * 0.002).toDecimalPlaces(3).toString(),
        }
        r.fill(f)
      }
      const a = attribute(r.finish(), { label: 'day', from, to })
      for (const row of [a.totals, ...a.byStrategy, ...a.byVenue, ...a.bySymbol, ...a.byBook]) {
        expect(sumOfParts(row).eq(row.netPnl), `seed ${seed} ${row.key}: ${sumOfParts(row)} vs ${row.netPnl}`).toBe(true)
        expect(row.netPnl.eq(row.realizedPnl.add(row.unrealizedChange).sub(row.fees).sub(row.costs))).toBe(true)
      }
      let byStrategy = new Decimal(0)
      for (const row of a.byStrategy) byStrategy = byStrategy.add(row.netPnl)
      expect(byStrategy.eq(a.totals.netPnl)).toBe(true)
      expect(a.totals.inventory.isZero() && a.totals.alpha.isZero()).toBe(false)
    }
  })
})

describe('daily report', () => {
  it('inlines uPlot and embeds data that parses back', async () => {
    const store = (await stores())[0]![1]
    const report = await buildDailyReport(store, { day: DAY, dataDir: mkdtempSync(join(tmpdir(), 'sofia-daily-')), costs: [GAS], now: DAY + 23 * H })
    const html = renderDailyHtml(report)
    expect(html).toContain(uplotAssets().js)
    expect(html).toContain(uplotAssets().css)
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/) // nothing fetched: works offline
    expect(html).toContain('new uPlot(')
    const data = extractEmbeddedData(html) as { currency: string; chart: { t: number[]; equity: number[]; drawdown: number[] }; report: Record<string, unknown> }
    expect(data.currency).toBe('USDT')
    expect(data.chart.t.length).toBe(data.chart.equity.length)
    expect(data.chart.t.length).toBeGreaterThanOrEqual(4)
    expect(data.chart.drawdown.every((x) => x >= 0)).toBe(true)
    expect((data.report['pnl'] as { totals: { netPnl: string } }).totals.netPnl).toBe('4.145')
    expect(data.report['topWinners']).toMatchObject([{ tradeId: 't2', netPnl: '9.89' }])
    expect(data.report['topLosers']).toMatchObject([{ tradeId: 't4', netPnl: '-5.045' }])
    await store.close()
  })

  it('keeps a value that would close the script element inside the JSON', async () => {
    const store = await openStore({ dataDir: '', memory: true })
    await store.write({ fills: [fill({ tradeId: 'z', strategyId: '</script><b>x', venue: 'v', symbol: 'BTC/USDT', side: 'buy', price: '1', amount: '1', feeCost: '0', timestamp: DAY })] })
    const html = renderDailyHtml(await buildDailyReport(store, { day: DAY, dataDir: '/nonexistent' }))
    const data = extractEmbeddedData(html) as { report: { pnl: { byStrategy: { key: string }[] } } }
    expect(data.report.pnl.byStrategy[0]!.key).toBe('</script><b>x')
    await store.close()
  })

  it('writes md, json and html, records the report, counts risk events and sends through a sender', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-daily-'))
    const store = await openStore({ dataDir: dir, file: join(dir, 'sofia.db') })
    await seed(store)
    const { AuditLog } = await import('../../audit/index.js')
    const log = new AuditLog()
    log.append('risk.denied', 'system', { clientOrderId: 'x', code: 'MAX_OPEN_ORDERS', reason: 'r' }, DAY + 6 * H)
    log.append('kill_switch.activated', 'operator:ann', { action: 'activated', trigger: 'manual', reason: 'drill' }, DAY + 7 * H)
    log.append('alert', 'system', { name: 'daily_loss', level: 'warning', detail: 'near limit' }, DAY + 8 * H)
    log.append('risk.denied', 'system', { clientOrderId: 'y', code: 'MAX_OPEN_ORDERS', reason: 'r' }, DAY + 30 * H) // next day
    await store.write({ audit: log.drain() })
    const sent: [string, string][] = []
    const sender: ReportSender = { send: (subject, md) => Promise.resolve(void sent.push([subject, md])) }
    const r = await generateDailyReport(store, { day: DAY, dataDir: dir, sender })
    expect(r.files.markdown).toBe(join(dir, 'reports', 'daily', 'daily_report_2024-03-01.md'))
    const json = JSON.parse(readFileSync(r.files.json, 'utf8')) as Record<string, unknown>
    expect(json['risk']).toMatchObject({ deniedTotal: 1, deniedByCode: { MAX_OPEN_ORDERS: 1 } })
    expect(json['killSwitch']).toMatchObject([{ type: 'kill_switch.activated', actor: 'operator:ann', reason: 'drill' }])
    expect(json['alerts']).toMatchObject([{ name: 'daily_loss' }])
    expect(json['reconciliation']).toMatchObject({ status: 'not run' })
    expect(readFileSync(r.files.html, 'utf8')).toContain('<!DOCTYPE html>')
    expect(r.send).toEqual({ sent: true, reason: undefined })
    expect(sent[0]![0]).toBe('Sofia daily report 2024-03-01: net 4.64 USDT')
    expect(sent[0]![1]).toBe(readFileSync(r.files.markdown, 'utf8'))
    expect((await store.loadReports('daily')).map((x) => [x.date, x.path])).toEqual([['2024-03-01', r.files.json]])
    // The port reader (any store) and the direct SQLite reader agree.
    const viaPort = await replayPnl(store, dayPeriod(DAY), portSource(store))
    expect(summarizePnl(viaPort, dayPeriod(DAY)).totals.netPnl.toString()).toBe('4.645')
    const unsent = await generateDailyReport(store, { day: DAY, dataDir: dir })
    expect(unsent.send).toEqual({ sent: false, reason: 'no notifier configured' })
    await store.close()
  })
})

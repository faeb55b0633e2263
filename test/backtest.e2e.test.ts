import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Decimal } from '../src/model/index.js'
import { REPO, SHARED_DATA, cliEnv, sofia } from './helpers.js'

const XRP_TRADES = join(SHARED_DATA, 'trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz')
const ETH_BTC_5M = join(SHARED_DATA, 'candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json')

interface Report {
  currency: string
  from: string
  to: string
  events: number
  initialEquity: string
  finalEquity: string
  netPnl: string
  realizedPnl: string
  unrealizedPnl: string
  fees: string
  volume: string
  orders: { submitted: number; denied: number; rejected: number; canceled: number; filled: number }
  fills: number
  closingFills: number
  winRate: number
  sharpe: number
  sortino: number
  maxDrawdown: string
  exposure: number
  positions: unknown[]
  balances: { venue: string; asset: string; initial: string; total: string }[]
  ledgerVerified: boolean
  eventsPerSecond?: number
}

function backtestJson(args: string[]): Report {
  const r = sofia(['backtest', ...args, '--json'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Report
}

describe('sofia backtest on real Binance XRP/ETH trade ticks (golden)', () => {
  const report = backtestJson(['--strategy', 'sma-cross', '--data', XRP_TRADES, '--param', 'amount=500', '--param', 'fast=10', '--param', 'slow=30'])

  it('reads every tick of the file over its whole span', () => {
    expect(report.events).toBe(12_477)
    expect(report.from).toBe('2019-10-11T00:00:11.620Z')
    expect(report.to).toBe('2019-10-13T11:19:28.844Z')
    expect(report.currency).toBe('ETH')
  })

  it('matches the golden figures field by field', () => {
    expect(report.orders).toEqual({ submitted: 114, denied: 0, rejected: 0, canceled: 0, filled: 114 })
    expect(report.fills).toBe(114)
    expect(report.closingFills).toBe(57)
    expect(report.netPnl).toBe('-0.11936998')
    expect(report.realizedPnl).toBe('-0.0348')
    expect(report.unrealizedPnl).toBe('0')
    expect(report.fees).toBe('0.08456998')
    expect(report.volume).toBe('84.56998')
    // Starts with the default 10 ETH (10,000 ETH before the default balance followed the quote).
    expect(report.finalEquity).toBe('9.88063002')
    expect(report.winRate).toBeCloseTo(14 / 57, 6)
    expect(report.maxDrawdown).toBe('0.11936998')
    expect(report.exposure).toBeCloseTo(0.530873, 6)
    expect(report.sharpe).toBeCloseTo(-37.625863, 5)
    expect(report.sortino).toBeCloseTo(-54.478384, 5)
    expect(report.ledgerVerified).toBe(true)
  })

  it('is internally consistent to the last decimal', () => {
    const net = new Decimal(report.netPnl)
    // Every order of 500 XRP filled: the taker fee is exactly 0.1% of the traded volume.
    expect(new Decimal(report.volume).mul('0.001').eq(report.fees)).toBe(true)
    expect(new Decimal(report.realizedPnl).add(report.unrealizedPnl).sub(report.fees).eq(net)).toBe(true)
    expect(new Decimal(report.finalEquity).sub(report.initialEquity).eq(net)).toBe(true)
    const eth = report.balances.find((b) => b.asset === 'ETH')!
    expect(new Decimal(eth.total).sub(eth.initial).eq(net)).toBe(true)
    // Ends flat: every entry was closed by an exit.
    expect(report.positions).toEqual([])
    expect(report.balances.find((b) => b.asset === 'XRP')!.total).toBe('0')
  })
})

describe('sofia backtest on recorded candles', () => {
  it('trades 5m bars with orders filled at the bar close, never before it', () => {
    const r = backtestJson(['--strategy', 'sma-cross', '--data', ETH_BTC_5M, '--param', 'timeframe=5m', '--param', 'amount=1'])
    expect(r.events).toBe(5_760)
    expect(r.currency).toBe('BTC')
    expect(r.fills).toBeGreaterThan(0)
    expect(r.fills).toBe(r.orders.filled)
    expect(new Decimal(r.finalEquity).sub(r.initialEquity).eq(new Decimal(r.realizedPnl).add(r.unrealizedPnl).sub(r.fees))).toBe(true)
  })
})

describe('determinism', () => {
  it('gives a byte-identical report for the same data, parameters and seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-det-'))
    const outs = [join(dir, 'a.json'), join(dir, 'b.json')]
    const heads: string[] = []
    for (const out of outs) {
      const db = out.replace('.json', '.db')
      const r = sofia(['backtest', '--strategy', 'cross-venue-arb', '--strategy', 'market-maker', '--data', 'synthetic', '--seed', '7', '--events', '60000', '--param', 'amount=0.5', '--latency-ms', '5', '--out', out, '--store', db])
      expect(r.code).toBe(0)
      // The run is recorded, and its audit chain is as reproducible as its report.
      const verify = sofia(['audit', 'verify', '--db', db, '--json'])
      expect(verify.code).toBe(0)
      const v = JSON.parse(verify.stdout) as { count: number; head: { hash: string } }
      expect(v.count).toBeGreaterThan(100)
      heads.push(v.head.hash)
    }
    expect(heads[0]).toBe(heads[1])
    const [a, b] = outs.map((f) => readFileSync(f))
    expect(a!.length).toBeGreaterThan(500)
    expect(a!.equals(b!)).toBe(true)
    const report = JSON.parse(a!.toString()) as Report
    expect(report.fills).toBeGreaterThan(0)
    expect(report).not.toHaveProperty('eventsPerSecond')
  })

  it('changes with the seed', () => {
    const runs = ['1', '2'].map((seed) =>
      backtestJson(['--strategy', 'cross-venue-arb', '--data', 'synthetic', '--seed', seed, '--events', '40000', '--param', 'amount=0.5']),
    )
    expect(runs[0]!.finalEquity).not.toBe(runs[1]!.finalEquity)
  })
})

describe('bad input exits 2 with one line saying what and where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bad-'))
  const badCsv = join(dir, 'sim_BTC-USDT_trades.csv')
  writeFileSync(badCsv, 'timestamp,kind,price,amount\n1000,trade,100,1\n2000,trade,abc,1\n3000,trade,101,2\n')

  const cases: [string, string[], RegExp][] = [
    ['missing file', ['--strategy', 'sma-cross', '--data', join(dir, 'nope.csv')], /no such file: .*nope\.csv/],
    ['bad row', ['--strategy', 'sma-cross', '--data', badCsv], /sim_BTC-USDT_trades\.csv:3: field 'price': expected a number, got "abc"/],
    ['unknown strategy', ['--strategy', 'foo', '--data', badCsv], /unknown strategy 'foo' \(built-in: sma-cross, cross-venue-arb, market-maker; no strategies\/foo\.ts or \.js; or give a file path\)/],
    ['bad parameter', ['--strategy', 'sma-cross', '--data', badCsv, '--param', 'fast=abc'], /strategy sma-cross: parameter 'fast': expected a positive integer, got "abc"/],
    ['unknown parameter', ['--strategy', 'sma-cross', '--data', badCsv, '--param', 'fsat=3'], /strategy sma-cross: unknown parameter 'fsat'/],
    ['malformed --param', ['--strategy', 'sma-cross', '--data', badCsv, '--param', 'fast'], /--param 'fast': expected KEY=VALUE/],
    ['bad --from', ['--strategy', 'sma-cross', '--data', badCsv, '--from', 'yesterday'], /--from: expected an ISO 8601 date or epoch ms, got 'yesterday'/],
    ['unknown option', ['--strategy', 'sma-cross', '--data', badCsv, '--bogus'], /unknown option '--bogus'/],
    ['missing --strategy', ['--data', badCsv], /required option '--strategy <name\|file>' not specified/],
  ]

  it.each(cases)('%s', (_name, args, message) => {
    const r = sofia(['backtest', ...args])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')[0]).toMatch(message)
  })

  it('--skip-bad-rows counts and reports the bad row instead', () => {
    const r = sofia(['backtest', '--strategy', 'sma-cross', '--data', badCsv, '--skip-bad-rows', '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report & { badRows: number; badRowMessages: string[] }
    expect(report.events).toBe(2)
    expect(report.badRows).toBe(1)
    expect(report.badRowMessages[0]).toMatch(/:3: field 'price'/)
  })
})

describe('sofia --help', () => {
  it('runs as the README writes it, `npx sofia`, on a fresh build (the built entry is executable)', () => {
    const r = spawnSync('npx', ['--no-install', 'sofia', '--version'], { cwd: REPO, encoding: 'utf8', env: cliEnv() })
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('0.1.0')
  })

  it('lists every command with a one-line purpose, and each command has its own help', () => {
    const r = sofia(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/backtest \[options\]\s+run a strategy/)
    expect(r.stdout).toMatch(/paper \[options\]\s+paper-trade/)
    const b = sofia(['backtest', '--help'])
    expect(b.code).toBe(0)
    expect(b.stdout).toMatch(/--strategy <name\|file>/)
    expect(b.stdout).toMatch(/sma-cross/)
    expect(b.stdout).toMatch(/cross-venue-arb/)
  })
})

/**
 * @module test/reports.e2e.test
 * `sofia pnl` and `sofia report` on the store of a real paper session, as operators run them. Needs
 * `npm run build`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Decimal } from '../src/model/index.js'
import { sofia } from './helpers.js'

let dir: string
let date: string
let fills: number

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sofia-reports-e2e-'))
  const paper = sofia(['paper', '--data-dir', dir, '--duration', '2', '--step-ms', '10', '--json'])
  expect(paper.code, paper.stderr).toBe(0)
  const pnl = sofia(['pnl', '--data-dir', dir, '--json'])
  expect(pnl.code, pnl.stderr).toBe(0)
  const summary = JSON.parse(pnl.stdout) as { byDay: { key: string }[]; totals: { fills: number } }
  date = summary.byDay[summary.byDay.length - 1]!.key
  fills = summary.totals.fills
  expect(fills).toBeGreaterThan(0)
}, 120_000)

describe('sofia pnl', () => {
  it('prints tables by strategy, venue, symbol and day, and says where the marks come from', () => {
    const r = sofia(['pnl', '--data-dir', dir, '--period', date])
    expect(r.code, r.stderr).toBe(0)
    for (const title of ['by strategy', 'by venue', 'by symbol', 'by day']) expect(r.stdout).toContain(`\n${title}\n`)
    expect(r.stdout).toContain('marks for unrealized P&L: last fill price per venue:symbol')
  })

  it('gives exact JSON whose net is realized − fees − costs', () => {
    const r = sofia(['pnl', '--data-dir', dir, '--period', date, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { currency: string; period: { label: string }; totals: Record<string, string> }
    expect(j.currency).toBe('USDT')
    expect(j.period.label).toBe(date)
    const t = j.totals
    expect(new Decimal(t['realizedPnl']!).sub(t['fees']!).sub(t['costs']!).eq(t['netPnl']!)).toBe(true)
  })

  it('exports one CSV row per fill with the standard columns', () => {
    const file = join(dir, 'fills.csv')
    const r = sofia(['pnl', 'export', '--csv', file, '--data-dir', dir, '--period', date])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`wrote ${fills} fills (${date}) to ${file}\n`)
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines[0]).toBe('timestamp,venue,symbol,side,price,amount,cost,fee,fee_currency,strategy,client_order_id,trade_id,realized_pnl,slippage_bps')
    expect(lines.length).toBe(fills + 1)
  })

  it('exits 2 with one line on a bad period, a bad marks file, or no database', () => {
    for (const [args, message] of [
      [['pnl', '--data-dir', dir, '--period', 'last-week'], /^sofia: --period: expected today, yesterday, 7d, all or a date YYYY-MM-DD, got 'last-week'\n$/],
      [['pnl', '--data-dir', dir, '--marks', join(dir, 'nope.json')], /^sofia: --marks: cannot read .*nope\.json\n$/],
      [['pnl', '--data-dir', join(dir, 'empty')], /^sofia: no Sofia database at .*\n$/],
    ] as const) {
      const r = sofia(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
    }
  })
})

describe('sofia report', () => {
  it('daily writes md, json and html, and says it was not sent without a notifier', () => {
    const r = sofia(['report', 'daily', '--data-dir', dir, '--date', date])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('not sent: no notifier configured\n')
    const base = join(dir, 'reports', 'daily', `daily_report_${date}`)
    for (const ext of ['md', 'json', 'html']) expect(existsSync(`${base}.${ext}`)).toBe(true)
    const json = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Record<string, unknown>
    for (const field of ['pnl', 'attribution', 'trades', 'slippage', 'risk', 'killSwitch', 'alerts', 'reconciliation', 'topWinners', 'topLosers', 'equity', 'maxDrawdown']) {
      expect(json, field).toHaveProperty(field)
    }
    expect((json['trades'] as { fills: number }).fills).toBe(fills)
    // A paper store: every fill is the simulator's, none the exchange's.
    expect(json['legs']).toMatchObject({ live: { fills: 0, net: '0' }, simulated: { fills } })
    expect(readFileSync(`${base}.md`, 'utf8')).toMatch(/By leg \(net, unrealized not included\): live 0(\.0+)? USDT over 0 fills; simulated -?[\d.]+ USDT over \d+ fills/)
    expect(json['reconciliation']).toMatchObject({ status: 'not run' })
    const html = readFileSync(`${base}.html`, 'utf8')
    expect(html).toContain('new uPlot(')
  })

  it('daily --json --no-send', () => {
    const r = sofia(['report', 'daily', '--data-dir', dir, '--date', date, '--json', '--no-send'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { date: string; send: unknown; files: { html: string }; report: { date: string } }
    expect(j.date).toBe(date)
    expect(j.send).toEqual({ sent: false, reason: '--no-send' })
    expect(j.report.date).toBe(date)
    expect(j.files.html.endsWith(`daily_report_${date}.html`)).toBe(true)
  })

  it('attribution parts add up to net exactly', () => {
    const r = sofia(['report', 'attribution', '--data-dir', dir, '--date', date, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const t = (JSON.parse(r.stdout) as { totals: Record<string, string> }).totals
    const parts = new Decimal(t['alpha']!).sub(t['slippage']!).add(t['inventory']!).sub(t['fees']!).sub(t['costs']!)
    expect(parts.eq(t['netPnl']!)).toBe(true)
  })

  it('a bad --date exits 2 with one line', () => {
    const r = sofia(['report', 'daily', '--data-dir', dir, '--date', '2024-02-30'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("sofia: --date: expected a date YYYY-MM-DD, got '2024-02-30'\n")
  })

  it('eod exits 0 without reconciliation (not run, said why) and 1 when the day has discrepancies', () => {
    const ok = sofia(['report', 'eod', '--data-dir', dir, '--date', date, '--no-send'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/reconciliation not run: no reconciliation report for \d{4}-\d{2}-\d{2}/)
    const recDir = join(dir, 'reports', 'reconciliation')
    mkdirSync(recDir, { recursive: true })
    writeFileSync(join(recDir, 'reconciliation_x.json'), JSON.stringify({ status: 'discrepancies', generatedAt: new Date().toISOString(), counts: { discrepancies: 2 } }))
    const bad = sofia(['report', 'eod', '--data-dir', dir, '--date', date, '--no-send', '--json'])
    expect(bad.code, bad.stderr).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ reconciliation: { status: 'discrepancies' } })
  })
})

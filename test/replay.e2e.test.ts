import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sofia } from './helpers.js'

interface Trade {
  decision: { side: string; type: string; amount: string; at: number | null }
  expectedPrice: string | null
  realizedPrice: string
  slippageBps: string | null
  latencyMs: { toAccept: number | null; toFirstFill: number | null }
  risk: { type: string }[]
  sameDecision: boolean
  reason: string
  closing: boolean
}

const SMA = ['--strategy', 'sma-cross', '--param', 'venue=alpha', '--param', 'symbol=BTC/USDT', '--param', 'fast=1', '--param', 'slow=2', '--param', 'timeframe=1s', '--param', 'amount=0.01']

describe('sofia replay', () => {
  it('replays the adverse trades of a paper session with the recorded market data and parameters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-replay-'))
    // A wall-clock paper session trades as often as the synthetic market crosses, which depends on timing; a
    // session sometimes ends with a single open position. Sessions are added to the same data directory
    // (bounded) until there is a round trip to replay.
    let report: { trades: Trade[]; same: number } = { trades: [], same: 0 }
    for (let session = 0; session < 4 && !report.trades.some((t) => t.closing); session++) {
      const paper = sofia(['paper', '--data-dir', dir, '--duration', '8', '--step-ms', '10', '--json', ...SMA])
      expect(paper.stderr).toBe('')
      expect(paper.code).toBe(0)
      const r = sofia(['replay', '--data-dir', dir, '--last-n', '5', '--threshold', '1000000', '--json'])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      report = JSON.parse(r.stdout) as typeof report
    }
    const files = readdirSync(join(dir, 'market'))
    expect(files.length).toBeGreaterThan(0)
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}\.csv$/)
    expect(readFileSync(join(dir, 'market', files[0]!), 'utf8').split('\n')[0]).toBe('timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size')

    expect(report.trades.length).toBeGreaterThan(0)
    expect(report.trades.length).toBeLessThanOrEqual(5)
    const same = report.trades.filter((t) => t.sameDecision)
    expect(same.length, JSON.stringify(report.trades.map((t) => t.reason))).toBeGreaterThan(0)
    expect(report.trades.some((t) => t.closing && t.sameDecision)).toBe(true)
    for (const t of report.trades) {
      expect(t.decision.type).toBe('market')
      expect(t.decision.amount).toBe('0.01')
      expect(Number(t.expectedPrice)).toBeGreaterThan(0)
      expect(Number(t.realizedPrice)).toBeGreaterThan(0)
      expect(t.slippageBps).not.toBeNull()
      expect(t.latencyMs.toFirstFill).toBeGreaterThanOrEqual(0)
      expect(t.risk.map((v) => v.type)).toContain('risk.approved')
    }

    const text = sofia(['replay', '--data-dir', dir, '--threshold', '1000000'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/same decision: same side, type and amount/)
  }, 120_000)

  it('exits 2 on bad input: no database, a bad --date, no market recordings', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sofia-replay-empty-'))
    const noDb = sofia(['replay', '--data-dir', empty])
    expect(noDb.code).toBe(2)
    expect(noDb.stderr).toMatch(/no Sofia database at/)

    const badDate = sofia(['replay', '--data-dir', empty, '--date', '2024-02-30'])
    expect(badDate.code).toBe(2)
    expect(badDate.stderr).toMatch(/--date/)

    // A store whose market data is not where replay looks.
    const paper = sofia(['paper', '--data-dir', empty, '--duration', '1', '--step-ms', '20', '--json'])
    expect(paper.code).toBe(0)
    const noMarket = sofia(['replay', '--data-dir', empty, '--market-dir', join(empty, 'elsewhere')])
    expect(noMarket.code).toBe(2)
    expect(noMarket.stderr).toMatch(/no market recordings in .*elsewhere/)
    expect(noMarket.stderr.trim().split('\n')).toHaveLength(1)
  }, 60_000)
})

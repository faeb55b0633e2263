/**
 * `sofia reconcile` end to end: a paper session's fills exported as the "exchange's" CCXT trades reconcile
 * clean; a deletion, a duplicate and a 1% price change are found exactly, trip the kill switch with trigger
 * reconciliation, and `sofia reconcile clear` lifts it. Bad input files exit 2 with one line.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../src/store/index.js'
import type { StoredFill } from '../src/store/index.js'
import { sofia } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sofia-reconcile-e2e-'))
const data = join(dir, 'var')
let fills: StoredFill[] = []
let venue = ''
let exchangeFile = ''

/** A stored fill as the exchange would list it: a CCXT unified trade (numbers as JSON numbers, no venue). */
function ccxt(f: StoredFill): Record<string, unknown> {
  return {
    info: {},
    id: f.tradeId,
    order: f.venueOrderId,
    clientOrderId: f.clientOrderId,
    timestamp: f.timestamp,
    datetime: new Date(f.timestamp).toISOString(),
    symbol: f.symbol,
    type: null,
    side: f.side,
    takerOrMaker: f.takerOrMaker,
    price: Number(f.price),
    amount: Number(f.amount),
    cost: Number(f.cost),
    fee: { cost: Number(f.feeCost), currency: f.feeCurrency },
  }
}

function write(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

function killSwitch(): { active: boolean; trigger: string | null; reason: string | null } {
  const r = sofia(['kill-switch', 'status', '--json', '--data-dir', data])
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout) as { killSwitch: { active: boolean; trigger: string | null; reason: string | null } }).killSwitch
}

interface JsonOutput {
  status: string
  reportFile: string
  counts: { matched: number; discrepancies: number; byType: Record<string, number> }
  discrepancies: { type: string; id: string; side: string | null; internal: { id: string; price: string }[]; exchange: { id: string; price: string }[] }[]
}

beforeAll(async () => {
  const paper = sofia(['paper', '--data-dir', data, '--duration', '2', '--step-ms', '10', '--json'])
  expect(paper.code, paper.stderr).toBe(0)
  const store = await openStore({ dataDir: data, file: join(data, 'sofia.db'), create: false })
  try {
    for await (const batch of store.iterateFills()) fills.push(...batch)
  } finally {
    await store.close()
  }
  const perVenue = new Map<string, number>()
  for (const f of fills) perVenue.set(f.venue, (perVenue.get(f.venue) ?? 0) + 1)
  venue = [...perVenue].sort((a, b) => b[1] - a[1])[0]![0]
  fills = fills.filter((f) => f.venue === venue)
  expect(fills.length).toBeGreaterThanOrEqual(3)
  exchangeFile = write('exchange.json', JSON.stringify(fills.map(ccxt), null, 2))
}, 120_000)

describe('sofia reconcile', () => {
  it("reconciles a session's fills against the same trades from the exchange", () => {
    const r = sofia(['reconcile', '--data-dir', data, '--exchange-file', exchangeFile, '--venue', venue])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('reconciliation OK')
    expect(r.stdout).toContain(`matched   ${fills.length} (0 with differences within tolerance)`)
    expect(r.stdout).toContain('trading not affected')
    const reportFile = /report: (\S+)/.exec(r.stdout)?.[1]
    expect(reportFile).toMatch(/reports[/\\]reconciliation[/\\]reconciliation_\d{8}T\d{9}Z\.json$/)
    const report = JSON.parse(readFileSync(reportFile!, 'utf8')) as JsonOutput
    expect(report.status).toBe('ok')
    expect(killSwitch().active).toBe(false)
  })

  it('takes the venue of the fills when the exchange file names none', () => {
    const r = sofia(['reconcile', '--data-dir', data, '--exchange-file', exchangeFile, '--venue', venue, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as JsonOutput).counts.matched).toBe(fills.length)
  })

  it('finds a deletion, a duplicate and a 1% price change, halts, and is cleared', () => {
    const trades = fills.map(ccxt)
    const [deleted, repeated, repriced] = [trades[0]!, trades[1]!, trades[2]!]
    repriced['price'] = Number(((repriced['price'] as number) * 1.01).toFixed(8))
    const changed = [repeated, repeated, ...trades.slice(2)]
    const mutated = write('exchange-mutated.jsonl', `${changed.map((t) => JSON.stringify(t)).join('\n')}\n`)
    const out = join(dir, 'out.json')

    const r = sofia(['reconcile', '--data-dir', data, '--exchange-file', mutated, '--venue', venue, '--json', '--out', out])
    expect(r.code, r.stderr).toBe(1)
    const report = JSON.parse(r.stdout) as JsonOutput
    expect(report.status).toBe('discrepancies')
    expect(report.counts.discrepancies).toBe(3)
    const found = report.discrepancies.map((d) => [d.type, d.id]).sort()
    expect(found).toEqual(
      [
        ['duplicate', repeated['id']],
        ['missing_exchange', deleted['id']],
        ['price_mismatch', repriced['id']],
      ].sort(),
    )
    const dup = report.discrepancies.find((d) => d.type === 'duplicate')!
    expect(dup.side).toBe('exchange')
    expect(dup.exchange).toHaveLength(2)
    expect(dup.internal.map((t) => t.id)).toEqual([repeated['id']])
    const price = report.discrepancies.find((d) => d.type === 'price_mismatch')!
    expect(price.exchange[0]!.price).toBe(String(repriced['price']))
    expect(price.internal[0]!.price).toBe(fills[2]!.price)
    expect(existsSync(report.reportFile)).toBe(true)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(readFileSync(report.reportFile, 'utf8')))

    const ks = killSwitch()
    expect(ks.active).toBe(true)
    expect(ks.trigger).toBe('reconciliation')
    expect(ks.reason).toMatch(/^RECONCILIATION: 3 discrepancies \(1 missing_exchange, 1 duplicate, 1 price_mismatch\)/)

    // A second failure while halted leaves the halt as it is.
    const again = sofia(['reconcile', '--data-dir', data, '--exchange-file', mutated, '--venue', venue])
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('found 3 discrepancies')
    expect(again.stdout).toContain('by type   1 missing_exchange, 1 duplicate, 1 price_mismatch')
    expect(again.stdout).toContain(`      exchange  `)
    expect(again.stdout).toContain('kill switch already ACTIVE (trigger reconciliation)')

    const clear = sofia(['reconcile', 'clear', '--reason', 'ok', '--data-dir', data])
    expect(clear.code, clear.stderr).toBe(0)
    expect(clear.stdout).toContain('reconciliation halt cleared')
    expect(killSwitch().active).toBe(false)

    const dry = sofia(['reconcile', '--data-dir', data, '--exchange-file', mutated, '--venue', venue, '--no-halt'])
    expect(dry.code).toBe(1)
    expect(dry.stdout).toContain('not halting (--no-halt)')
    expect(killSwitch().active).toBe(false)
  })

  it('clear refuses a halt that something else caused, and says what', () => {
    expect(sofia(['kill-switch', 'activate', '--reason', 'maintenance', '--data-dir', data]).code).toBe(0)
    const r = sofia(['reconcile', 'clear', '--reason', 'ok', '--data-dir', data])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^refused: the kill switch was tripped by manual \(operator:[^:]+: maintenance\), not by a reconciliation; use 'sofia kill-switch deactivate'\n$/)
    expect(killSwitch().active).toBe(true)
    expect(sofia(['kill-switch', 'deactivate', '--reason', 'done', '--data-dir', data]).code).toBe(0)
    const idle = sofia(['reconcile', 'clear', '--reason', 'ok', '--data-dir', data])
    expect(idle.code).toBe(0)
    expect(idle.stdout).toBe('nothing to clear: the kill switch is inactive\n')
  })

  const good = (over: Record<string, unknown> = {}): string => JSON.stringify({ id: '1', order: '2', timestamp: 1700000000000, symbol: 'BTC/USDT', side: 'buy', price: 100, amount: 1, ...over })
  const BAD: [string, string, string, string][] = [
    ['malformed JSON', 'bad1.jsonl', `${good()}\n{"id": "2", "price": \n`, "FILE:2: not valid JSON"],
    ['price not a number', 'bad2.json', `[${good()}, ${good({ id: '2', price: 'abc' })}]`, `FILE: record 2: field 'price': expected a decimal number, got "abc"`],
    ['side', 'bad3.jsonl', good({ side: 'long' }), `FILE:1: field 'side': expected "buy" or "sell", got "long"`],
    ['timestamp', 'bad4.jsonl', good({ timestamp: '2023-11-16T10:29:53Z' }), `FILE:1: field 'timestamp': expected an integer (ms since 1970), got "2023-11-16T10:29:53Z"`],
    ['missing field', 'bad5.json', `[${JSON.stringify({ id: '1', timestamp: 1, symbol: 'BTC/USDT', side: 'buy', price: 1 })}]`, `FILE: record 1: field 'amount': missing`],
    ['empty file', 'bad6.json', '', 'no trades in FILE'],
  ]
  for (const [name, file, content, message] of BAD) {
    it(`bad exchange file (${name}) exits 2 with one line`, () => {
      const path = write(file, content)
      const r = sofia(['reconcile', '--data-dir', data, '--exchange-file', path, '--venue', venue])
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`sofia: ${message.replace('FILE', path)}\n`)
      expect(r.stdout).toBe('')
    })
  }

  it('a bad internal file is named the same way', () => {
    const path = write('internal-bad.jsonl', good({ side: 'long' }))
    const r = sofia(['reconcile', '--data-dir', data, '--exchange-file', exchangeFile, '--internal-file', path])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`sofia: ${path}:1: field 'side': expected "buy" or "sell", got "long"\n`)
  })

  it('needs an exchange source', () => {
    const r = sofia(['reconcile', '--data-dir', data])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('sofia: an exchange source is required: pass --exchange-file FILE (CCXT unified trades, JSON array or JSONL) or --live\n')
  })

  it('reconciles two files without touching any store', () => {
    const elsewhere = join(dir, 'nowhere')
    const r = sofia(['reconcile', '--data-dir', elsewhere, '--internal-file', exchangeFile, '--exchange-file', exchangeFile, '--venue', venue, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as JsonOutput).counts.matched).toBe(fills.length)
    expect(existsSync(join(elsewhere, 'sofia.db'))).toBe(false)
  })
})

/**
 * Users' own strategies, end to end through the CLI: a TypeScript file in a directory outside the repo,
 * importing `defineStrategy`, `indicators` and `z` from 'sofia', loaded without a build step; bar history and a
 * second timeframe built from the data's candles; one-line errors (file:line, exit 2) for files that do not
 * load; a handler that throws halts its strategy only; `sofia strategy new|list|check`; the registry records the
 * file's hash.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { REPO, SHARED_DATA, cliEnv, sofia } from './helpers.js'

const LTC_5M = join(SHARED_DATA, 'candles/bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json')
const XRP_1M = join(SHARED_DATA, 'candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json')

interface Report {
  strategies: { id: string; name: string; params: Record<string, string> }[]
  orders: { submitted: number; rejected: number; denied: number; filled: number }
  fills: number
  positions: { symbol: string; amount: string }[]
  stateChanges: { at: string; what: string; cause: string }[]
  ledgerVerified: boolean
}

/** A directory outside the repo, as a user's own project would be. */
function userDir(): string {
  return mkdtempSync(join(tmpdir(), 'sofia-user-strategy-'))
}

/** A strategy file `name` with `source` in a new user directory. */
function userStrategy(name: string, source: string): { dir: string; file: string } {
  const dir = userDir()
  const file = join(dir, name)
  writeFileSync(file, source)
  return { dir, file }
}

/**
 * Trend filter over two timeframes: RSI(14) on 5m bars to time entries, taken only while the 1h close is above
 * the mean of the last 6 hourly closes (from ctx.bars). Exits on RSI > 65 or on a 3% stop. Every entry checks
 * the bar history it was given.
 */
const TWO_TIMEFRAMES = `import { defineStrategy, indicators, z } from 'sofia'
import type { Bar } from 'sofia'

export default defineStrategy({
  name: 'trend-rsi',
  description: 'RSI entries on the fast timeframe, taken only in an uptrend of the slow one',
  params: z.object({ fast: z.string().default('5m'), slow: z.string().default('1h'), period: z.number().int().default(14), stopPct: z.number().default(0.03) }),
  create: (p) => {
    const rsi = new indicators.RSI(p.period)
    let entry: number | undefined
    const checks = { hourly: 0, history: 0 }
    return {
      timeframes: [p.fast, p.slow],
      history: 50,
      onBar(bar: Bar, ctx) {
        if (bar.timeframe === p.slow) {
          checks.hourly++
          return
        }
        const recent = ctx.bars(bar.venue, bar.symbol, p.fast, 3)
        if (recent[recent.length - 1] !== bar) throw new Error('the bar just delivered is not the newest in ctx.bars')
        checks.history++
        rsi.add(bar.close)
        if (!rsi.isStable) return
        const value = Number(rsi.getResult())
        const hours = ctx.bars(bar.venue, bar.symbol, p.slow, 6)
        if (ctx.openOrders().length > 0) return
        const position = ctx.position(bar.venue, bar.symbol)
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (position.gt(0)) {
          if (value > 65 || (entry !== undefined && bar.close < entry * (1 - p.stopPct))) {
            ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position })
            entry = undefined
          }
          return
        }
        if (hours.length < 6) return
        const mean = hours.reduce((s, b) => s + b.close, 0) / hours.length
        if (value < 35 && hours[hours.length - 1].close > mean) {
          const amount = ctx.balance(bar.venue, inst.quote).mul(0.5).div(bar.close * 1.02)
          if (ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })) entry = bar.close
        }
      },
      onStop(ctx) {
        ctx.log('checks ' + JSON.stringify(checks))
        if (checks.hourly === 0 || checks.history === 0) throw new Error('no hourly bars or no history: ' + JSON.stringify(checks))
      },
    }
  },
})
`

function backtest(args: string[], cwd?: string): { code: number; stdout: string; stderr: string; report?: Report } {
  const r = sofia(['backtest', '--store', 'none', '--json', ...args], cwd !== undefined ? { cwd } : {})
  return { ...r, ...(r.code === 0 ? { report: JSON.parse(r.stdout) as Report } : {}) }
}

describe('a strategy file outside the repo', () => {
  const { dir, file } = userStrategy('trend-rsi.ts', TWO_TIMEFRAMES)

  it('loads from TypeScript without a build, trades real candles on two timeframes, and its books balance', () => {
    const r = backtest(['--strategy', file, '--data', LTC_5M], dir)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = r.report!
    expect(report.strategies[0]).toMatchObject({ id: 'trend-rsi', name: 'trend-rsi' })
    expect(report.fills).toBeGreaterThanOrEqual(2)
    expect(report.orders.rejected).toBe(0)
    expect(report.orders.denied).toBe(0)
    expect(report.stateChanges).toEqual([]) // onStop found hourly bars and history (it throws otherwise)
    expect(report.ledgerVerified).toBe(true)
  })

  it('is found by name in ./strategies, and in strategyDir of sofia.yaml', () => {
    const project = userDir()
    mkdirSync(join(project, 'strategies'))
    writeFileSync(join(project, 'strategies', 'trend-rsi.ts'), TWO_TIMEFRAMES)
    expect(backtest(['--strategy', 'trend-rsi', '--data', LTC_5M], project).code).toBe(0)
    const other = userDir()
    mkdirSync(join(other, 'algos'))
    writeFileSync(join(other, 'algos', 'trend-rsi.ts'), TWO_TIMEFRAMES)
    writeFileSync(join(other, 'sofia.yaml'), 'strategyDir: ./algos\n')
    expect(backtest(['--strategy', 'trend-rsi', '--data', LTC_5M], other).code).toBe(0)
    const unknown = backtest(['--strategy', 'nope', '--data', LTC_5M], other)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^sofia: unknown strategy 'nope' \(built-in: sma-cross, cross-venue-arb, market-maker; no \S*algos\/nope\.ts or \.js; or give a file path\)\n$/)
  })

  it('runs in a paper session too', () => {
    const r = sofia(['paper', '--strategy', file, '--duration', '1', '--step-ms', '5', '--json', '--data-dir', join(dir, 'var')], { cwd: dir })
    // Its own lines (ctx.log) and nothing else on stderr; the JSON report alone on stdout.
    const lines = r.stderr.split('\n').filter((l) => l !== '')
    expect(lines.length, r.stderr).toBeGreaterThan(0)
    expect(lines.filter((l) => !l.startsWith('trend-rsi: ')), r.stderr).toEqual([])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).strategies[0].id).toBe('trend-rsi')
  })
})

/**
 * Enters once, protects the entry with a reduce-only stop-market 1% under its fill price (an order that waits
 * at the venue), and after the stop has traded tries one more reduce-only sell, which must be denied: the
 * position is flat.
 */
const PROTECTED = `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'protected-entry',
  params: z.object({ stopPct: z.number().default(0.01) }),
  create: (p) => {
    let entered = false
    return {
      onBar(bar, ctx) {
        if (entered) return
        const inst = ctx.instrument(bar.venue, bar.symbol)
        const amount = ctx.balance(bar.venue, inst.quote).mul(0.5).div(bar.close * 1.02)
        entered = ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' }) !== undefined
      },
      onFill(trade, order, ctx) {
        if (order.tag === 'entry' && order.state === 'closed') {
          const stop = order.average.toNumber() * (1 - p.stopPct)
          ctx.submit({ venue: order.venue, symbol: order.symbol, side: 'sell', type: 'market', amount: order.filled, triggerPrice: stop, reduceOnly: true, tag: 'stop' })
        } else if (order.tag === 'stop' && order.state === 'closed') {
          const again = ctx.submit({ venue: order.venue, symbol: order.symbol, side: 'sell', type: 'market', amount: order.filled, reduceOnly: true, tag: 'again' })
          if (again !== undefined) throw new Error('a reduce-only sell passed with a flat position')
        }
      },
    }
  },
})
`

describe('order types from a strategy file: a reduce-only stop protects the entry', () => {
  it('enters, the stop waits at the venue, fires on real candles at its trigger or worse, and the strategy ends flat', () => {
    const { dir, file } = userStrategy('protected.ts', PROTECTED)
    const db = join(dir, 'bt.db')
    const r = sofia(['backtest', '--strategy', file, '--data', LTC_5M, '--store', db, '--json'], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report & { notTraded: { denied: Record<string, number> } }
    expect(report.fills).toBe(2)
    expect(report.orders).toMatchObject({ submitted: 2, filled: 2, rejected: 0, denied: 1 })
    expect(Object.keys(report.notTraded.denied)).toEqual([expect.stringMatching(/^REDUCE_ONLY_ORDER/)])
    expect(report.stateChanges).toEqual([])
    expect(report.ledgerVerified).toBe(true)
    const handle = new Database(db, { readonly: true })
    try {
      const rows = handle
        .prepare("select o.side, o.options, f.price, f.amount from fills f join orders o on o.client_order_id = f.client_order_id order by f.timestamp")
        .all() as { side: string; options: string; price: string; amount: string }[]
      expect(rows.map((x) => [x.side, JSON.parse(x.options).tag])).toEqual([['buy', 'entry'], ['sell', 'stop']])
      const stop = JSON.parse(rows[1]!.options) as { triggerPrice: string; triggerDirection: string; reduceOnly: boolean }
      expect(stop).toMatchObject({ triggerDirection: 'below', reduceOnly: true })
      // Filled at its trigger or below it (a gap, and the slippage), never better.
      expect(Number(rows[1]!.price)).toBeLessThanOrEqual(Number(stop.triggerPrice))
      expect(Number(rows[1]!.price)).toBeLessThan(Number(rows[0]!.price) * 0.99)
      expect(rows[1]!.amount).toBe(rows[0]!.amount) // flat again
    } finally {
      handle.close()
    }
  })
})

describe('a bar strategy that names no timeframe', () => {
  it('gets 1m bars built from trade ticks (and the data\'s own bars on candles)', () => {
    const { dir, file } = userStrategy(
      'counter.ts',
      "import { defineStrategy, z } from 'sofia'\nexport default defineStrategy({ name: 'counter', params: z.object({}), create: () => {\n  const seen = new Map()\n  return {\n    onBar(bar) { seen.set(bar.timeframe, (seen.get(bar.timeframe) ?? 0) + 1) },\n    onStop(ctx) { ctx.log('bars ' + JSON.stringify([...seen])) },\n  }\n} })\n",
    )
    const ticks = sofia(['backtest', '--strategy', file, '--data', join(SHARED_DATA, 'trades/kraken_BCH-EUR_trades_2023-01-01.csv'), '--store', 'none', '--log'], { cwd: dir })
    expect(ticks.code, ticks.stderr).toBe(0)
    const counts = JSON.parse(/bars (\[.*\])/.exec(ticks.stderr)![1]!) as [string, number][]
    expect(counts.map(([tf]) => tf)).toEqual(['1m'])
    expect(counts[0]![1]).toBeGreaterThan(50)
    const candles = sofia(['backtest', '--strategy', file, '--data', LTC_5M, '--store', 'none', '--log'], { cwd: dir })
    expect((JSON.parse(/bars (\[.*\])/.exec(candles.stderr)![1]!) as [string, number][]).map(([tf]) => tf)).toEqual(['5m'])
  })
})

describe('sofia validate on a user strategy file', () => {
  it("runs its backtests on sweep's worker threads, each of which loads the file: 2 workers give exactly what 1 gives", () => {
    const { dir, file } = userStrategy(
      'ema.ts',
      "import { defineStrategy, indicators, z } from 'sofia'\nexport default defineStrategy({ name: 'ema-user', params: z.object({ fast: z.number().int().default(8), slow: z.number().int().default(21) }), create: (p) => {\n  const f = new indicators.EMA(p.fast); const s = new indicators.EMA(p.slow)\n  return { onBar(bar, ctx) {\n    f.add(bar.close); s.add(bar.close)\n    if (!s.isStable || ctx.openOrders().length > 0) return\n    const inst = ctx.instrument(bar.venue, bar.symbol); const pos = ctx.position(bar.venue, bar.symbol)\n    if (Number(f.getResult()) > Number(s.getResult()) && pos.isZero()) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount: ctx.balance(bar.venue, inst.quote).mul(0.5).div(bar.close * 1.02) })\n    else if (Number(f.getResult()) < Number(s.getResult()) && pos.gt(0)) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: pos })\n  } }\n} })\n",
    )
    const run = (workers: string): { code: number; report: { trials: { params: Record<string, string>; sharpe: number }[]; folds: unknown[] } } => {
      const r = sofia(['validate', '--strategy', file, '--data', LTC_5M, '--folds', '2', '--trials', '3', '--workers', workers, '--json'], { cwd: dir })
      expect(r.stderr).toBe('')
      return { code: r.code, report: JSON.parse(r.stdout) as { trials: { params: Record<string, string>; sharpe: number }[]; folds: unknown[] } }
    }
    const two = run('2')
    expect([0, 1]).toContain(two.code)
    expect(two.report.trials).toHaveLength(3)
    expect(two.report.folds).toHaveLength(2)
    expect(run('1').report).toEqual(two.report)
  })
})

describe('a file that does not load: one line naming file:line, exit 2', () => {
  const dir = userDir()
  const cases: [string, string, RegExp][] = [
    ['syntax.ts', "import { defineStrategy, z } from 'sofia'\nconst x = {\nexport default 3 3\n", /^sofia: \S+syntax\.ts:3: syntax error: /],
    ['throws.ts', "import { defineStrategy, z } from 'sofia'\n\nthrow new Error('no API key in this file')\nexport default defineStrategy({ name: 'x', params: z.object({}), create: () => ({}) })\n", /^sofia: \S+throws\.ts:3: threw while loading: Error: no API key in this file\n$/],
    ['plain.ts', "export default { name: 'plain' }\n", /^sofia: \S+plain\.ts: the default export is not a strategy: write `export default defineStrategy/],
    ['badname.ts', "import { defineStrategy, z } from 'sofia'\nexport default defineStrategy({ name: 'Bad Name', params: z.object({}), create: () => ({}) })\n", /^sofia: \S+badname\.ts:2: threw while loading: TypeError: defineStrategy: name must be lower-case/],
    ['builtin.ts', "import { defineStrategy, z } from 'sofia'\nexport default defineStrategy({ name: 'sma-cross', params: z.object({}), create: () => ({}) })\n", /^sofia: \S+builtin\.ts: strategy name 'sma-cross' is a built-in strategy's; choose another name\n$/],
  ]
  for (const [name, text, expected] of cases) {
    it(name, () => {
      writeFileSync(join(dir, name), text)
      const r = backtest(['--strategy', join(dir, name), '--data', LTC_5M], dir)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1)
      expect(r.stderr).toMatch(expected)
    })
  }

  it('a parameter its schema refuses (a text value for a number is read as a number first)', () => {
    writeFileSync(join(dir, 'trend-rsi.ts'), TWO_TIMEFRAMES)
    const bad = backtest(['--strategy', join(dir, 'trend-rsi.ts'), '--data', LTC_5M, '--param', 'period=many'], dir)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^sofia: strategy trend-rsi: parameter 'period': .*expected number/)
    const good = backtest(['--strategy', join(dir, 'trend-rsi.ts'), '--data', LTC_5M, '--param', 'period=21'], dir)
    expect(good.code).toBe(0)
    expect(good.report!.strategies[0]!.params['period']).toBe('21')
  })
})

describe('a handler that throws at run time', () => {
  it('halts that strategy, audits and reports the error with file:line; the session and the other strategy go on', () => {
    const { dir, file } = userStrategy(
      'fragile.ts',
      "import { defineStrategy, z } from 'sofia'\nexport default defineStrategy({ name: 'fragile', params: z.object({ timeframe: z.string().default('1m') }), create: () => {\n  let n = 0\n  return {\n    onBar(bar, ctx) {\n      if (n++ === 0) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'limit', price: bar.close * 0.5, amount: 10 })\n      if (n === 100) throw new RangeError('index out of range in my signal')\n    },\n  }\n} })\n",
    )
    const db = join(dir, 'bt.db')
    const r = sofia(['backtest', '--strategy', file, '--strategy', 'sma-cross', '--data', XRP_1M, '--store', db, '--json'], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    // With --log, the alert reaches stderr with the simulated time (and ctx.log lines would too).
    const logged = sofia(['backtest', '--strategy', file, '--data', XRP_1M, '--store', 'none', '--log'], { cwd: dir })
    expect(logged.code).toBe(0)
    expect(logged.stderr).toMatch(/^2019-10-\d\dT\S+Z \[critical\] strategy fragile halted: onBar threw: index out of range in my signal \(\S+fragile\.ts:7:\d+\); 1 open orders cancelled, the session goes on$/m)
    expect(report.stateChanges).toHaveLength(1)
    expect(report.stateChanges[0]!.what).toBe('strategy fragile → HALTED')
    expect(report.stateChanges[0]!.cause).toMatch(/^onBar threw: index out of range in my signal at \S+fragile\.ts:7:\d+ \(by system\)$/)
    const handle = new Database(db, { readonly: true })
    try {
      const rows = handle.prepare("select payload from audit where type = 'strategy.error'").all() as { payload: string }[]
      expect(rows).toHaveLength(1)
      expect(JSON.parse(rows[0]!.payload)).toMatchObject({ strategyId: 'fragile', handler: 'onBar', error: 'index out of range in my signal', cancelled: 1 })
      // sma-cross kept trading after the halt.
      const halted = handle.prepare("select ts from audit where type = 'strategy.error'").get() as { ts: number }
      const later = handle.prepare("select count(*) as n from fills where strategy_id = 'sma-cross' and timestamp > ?").get(halted.ts) as { n: number }
      expect(later.n).toBeGreaterThan(0)
      const fragile = handle.prepare("select count(*) as n from orders where strategy_id = 'fragile' and state not in ('canceled', 'filled', 'rejected', 'denied')").get() as { n: number }
      expect(fragile.n).toBe(0)
    } finally {
      handle.close()
    }
  })
})

describe('sofia strategy new | list | check', () => {
  const dir = userDir()
  const strategies = join(dir, 'strategies')

  it('new scaffolds a strategy that backtests and trades as it is, with a test that passes', () => {
    const r = sofia(['strategy', 'new', 'ema-trend', '--dir', strategies], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const onSynthetic = backtest(['--strategy', join(strategies, 'ema-trend.ts'), '--data', 'synthetic'], dir)
    expect(onSynthetic.code).toBe(0)
    expect(onSynthetic.report!.fills).toBeGreaterThan(0)
    expect(onSynthetic.report!.orders.rejected).toBe(0)
    const onCandles = backtest(['--strategy', join(strategies, 'ema-trend.ts'), '--data', LTC_5M], dir)
    expect(onCandles.code).toBe(0)
    expect(onCandles.report!.fills).toBeGreaterThan(0)
    expect(onCandles.report!.orders.rejected).toBe(0)
    // Its test, run as the scaffold says (from the project that has sofia: here, the repo).
    const out = execFileSync(process.execPath, ['--test', join(strategies, 'ema-trend.test.mjs')], { cwd: REPO, env: cliEnv(), encoding: 'utf8' })
    expect(out).toMatch(/# pass 1/)
    const again = sofia(['strategy', 'new', 'ema-trend', '--dir', strategies], { cwd: dir })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/ema-trend\.ts: already exists; nothing written/)
    expect(sofia(['strategy', 'new', 'Bad_Name', '--dir', strategies], { cwd: dir }).code).toBe(2)
  })

  it('list shows the built-ins and the files with their parameters', () => {
    const r = sofia(['strategy', 'list', '--json'], { cwd: dir })
    expect(r.code).toBe(0)
    const list = JSON.parse(r.stdout) as { strategies: { name: string; file?: string; params: { name: string; default?: string }[] }[] }
    expect(list.strategies.map((s) => s.name)).toEqual(['sma-cross', 'cross-venue-arb', 'market-maker', 'ema-trend'])
    const mine = list.strategies[3]!
    expect(mine.file).toBe(join(strategies, 'ema-trend.ts'))
    expect(mine.params).toContainEqual(expect.objectContaining({ name: 'fast', default: '9' }))
  })

  it('check runs a file on the synthetic market: 0 when it runs, 1 when a handler throws, 2 when it does not load', () => {
    expect(sofia(['strategy', 'check', join(strategies, 'ema-trend.ts')], { cwd: dir }).code).toBe(0)
    writeFileSync(join(dir, 'boom.ts'), "import { defineStrategy, z } from 'sofia'\nexport default defineStrategy({ name: 'boom', params: z.object({ timeframe: z.string().default('1m') }), create: () => ({ onBar() { throw new Error('boom') } }) })\n")
    const boom = sofia(['strategy', 'check', join(dir, 'boom.ts')], { cwd: dir })
    expect(boom.code).toBe(1)
    expect(boom.stdout).toMatch(/^boom: halted at \S+: onBar threw: boom at \S+boom\.ts:2:\d+ \(by system\)$/m)
    writeFileSync(join(dir, 'broken.ts'), 'export default {\n')
    expect(sofia(['strategy', 'check', join(dir, 'broken.ts')], { cwd: dir }).code).toBe(2)
  })
})

describe('the registry takes a user strategy', () => {
  it("records the file's SHA-256 as the version's code hash and keeps the code: an edited file still promotes v1 as registered; without the copy it is refused", () => {
    const { dir, file } = userStrategy('trend-rsi.ts', TWO_TIMEFRAMES)
    const r = sofia(['registry', 'register', '--strategy', file, '--strategy-version', 'v1', '--param', 'period=21', '--skip-validation', '--reason', 'e2e', '--data-dir', join(dir, 'var'), '--json'], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const v = JSON.parse(r.stdout) as { strategy: string; params: Record<string, string>; codeHash: string; artifact: unknown }
    expect(v.strategy).toBe('trend-rsi')
    expect(v.params).toEqual({ period: '21' })
    expect(v.codeHash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'))
    expect(v.artifact).toBeNull()
    // The registered bytes are kept in the store under their hash.
    const db = new Database(join(dir, 'var', 'sofia.db'), { readonly: true })
    const kept = JSON.parse((db.prepare('select value from state where key = ?').get(`strategy.code.${v.codeHash}`) as { value: string }).value) as { file: string; base64: string }
    db.close()
    expect(kept.file).toBe('trend-rsi.ts')
    expect(Buffer.from(kept.base64, 'base64').equals(readFileSync(file))).toBe(true)
    // The file is edited after registration: v1 still runs as registered, from the copy.
    writeFileSync(file, `${TWO_TIMEFRAMES}// tuned after registration\n`)
    const show = sofia(['registry', 'show', '--strategy', file, '--strategy-version', 'v1', '--data-dir', join(dir, 'var')], { cwd: dir })
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toContain(`code hash ${v.codeHash} (kept in the store: the file has changed since, the registered code runs)`)
    // A store without the copy (registered before versions kept their code) refuses it, naming both hashes.
    const copy = join(dir, 'var-old')
    mkdirSync(copy)
    const old = new Database(join(dir, 'var', 'sofia.db'), { readonly: true })
    old.exec(`VACUUM INTO '${join(copy, 'sofia.db')}'`)
    old.close()
    const strip = new Database(join(copy, 'sofia.db'))
    strip.prepare("delete from state where key like 'strategy.code.%'").run()
    strip.close()
    const stale = sofia(['registry', 'promote', '--strategy', file, '--strategy-version', 'v1', '--data-dir', copy], { cwd: dir })
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/^sofia: ArtifactMismatch: trend-rsi v1: \S+trend-rsi\.ts has changed since the version was registered \(SHA-256 [0-9a-f]{64}, registered [0-9a-f]{64}\), and the store has no copy of the registered code; register a new version\n$/)
    const promotedV1 = sofia(['registry', 'promote', '--strategy', file, '--strategy-version', 'v1', '--data-dir', join(dir, 'var')], { cwd: dir })
    expect(promotedV1.stdout, promotedV1.stderr).toBe('trend-rsi: v1 active, last_good (none)\n')
    const v2 = sofia(['registry', 'register', '--strategy', file, '--strategy-version', 'v2', '--skip-validation', '--reason', 'e2e', '--data-dir', join(dir, 'var')], { cwd: dir })
    expect(v2.code).toBe(0)
    const promoted = sofia(['registry', 'promote', '--strategy', file, '--strategy-version', 'v2', '--data-dir', join(dir, 'var')], { cwd: dir })
    expect(promoted.stdout).toBe('trend-rsi: v2 active, last_good v1\n')
  })
})

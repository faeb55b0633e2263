/**
 * End-to-end: a registered version of a user's strategy runs as registered, code included. The version is
 * registered from a file, the file is then edited (the desk tunes it), and a live `sofia run` on
 * `sofia exchange-sim` runs the edited file. `sofia canary start production` of the registered version makes
 * the session run the registered code, kept in the store, not the file as it is now: read from the order
 * sizes at the exchange, and from the audit's `strategy.version_applied` (its code hash).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, SHARED_DATA, cliEnv, sofia } from './helpers.js'
import { control, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
let sim: Sim | undefined
let proc: ChildProcess | undefined

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '9', '--symbols', SYMBOL, '--trade-probability', '0', '--api-key', 'CK', '--api-secret', 'CS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])
})
afterAll(async () => {
  if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  await stopSim(sim)
})

/** One bid 2% under the market, of a size written in the code; a bid of another size is replaced. */
const bidder = (amount: string): string => `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'bidder',
  description: 'one bid of ${amount} under the market',
  params: z.object({ venue: z.string().default('xsim'), symbol: z.string().default('${SYMBOL}') }),
  create: (p) => ({
    onQuote(q, ctx) {
      if (q.venue !== p.venue || q.symbol !== p.symbol) return
      const mine = ctx.openOrders(p.venue, p.symbol)
      for (const o of mine) if (o.state === 'open' && !o.amount.eq('${amount}')) ctx.cancel(o.clientOrderId)
      if (mine.length === 0) ctx.submit({ venue: p.venue, symbol: p.symbol, side: 'buy', type: 'limit', amount: '${amount}', price: Math.floor(q.bid * 0.98) })
    },
  }),
})
`

/** On bars: one market buy of `amount` every `every` bars, tagged with a label written in the code. */
const stepper = (label: string): string => `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'stepper',
  description: 'buys now and then, tagged ${label}',
  params: z.object({ amount: z.string().default('0.01'), every: z.number().int().min(1).default(50), timeframe: z.string().default('5m') }),
  create: (p) => {
    let bars = 0
    return {
      onBar(bar, ctx) {
        if (++bars % p.every === 0) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount: p.amount, tag: '${label}' })
      },
    }
  },
})
`

type SimOrder = { origQty: string; time: number; status: string }

describe("a registered version of a user's strategy", () => {
  it('runs its registered code in a canary stage after the file was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-canary-code-'))
    const file = join(dir, 'bidder.ts')
    writeFileSync(file, bidder('0.003'))
    const registeredHash = createHash('sha256').update(bidder('0.003')).digest('hex')
    const data = ['--data-dir', join(dir, 'var')]
    const reg = sofia(['registry', 'register', '--strategy', 'bidder.ts', '--strategy-version', 'v1', '--skip-validation', '--reason', 'e2e', ...data], { cwd: dir })
    expect(reg.code, reg.stderr).toBe(0)
    writeFileSync(file, bidder('0.005')) // tuned after registration: the file is no longer v1

    const env = cliEnv({ EXCHANGE: 'binance', API_KEY: 'CK', API_SECRET: 'CS', KILL_SWITCH: 'OFF' })
    proc = spawn(process.execPath, [CLI, 'run', '--mode', 'live', '--url', sim!.url, '--venue', 'xsim', '--symbols', SYMBOL, '--strategy', 'bidder.ts', ...data], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    proc.stderr!.on('data', (d: Buffer) => (err += String(d)))
    const exited = new Promise<number | null>((resolve) => proc!.once('exit', resolve))
    const orders = (): Promise<SimOrder[]> => control<SimOrder[]>(sim!, 'GET', '/sim/orders?apiKey=CK')
    try {
      // The session runs the file as it is now.
      expect(await waitFor(async () => (await orders()).some((o) => o.origQty === '0.00500000'), 30_000), err).toBe(true)
      const start = sofia(['canary', 'start', 'production', '--strategy', 'bidder.ts', '--strategy-version', 'v1', '--reason', 'e2e', ...data], { cwd: dir })
      expect(start.code, start.stderr).toBe(0)
      expect(await waitFor(() => err.includes('canary bidder: now running v1'), 15_000), err).toBe(true)
      const appliedAt = Date.now()
      // v1's code replaces the edited file's bid with its own size.
      expect(await waitFor(async () => (await orders()).some((o) => o.origQty === '0.00300000' && o.status === 'NEW'), 15_000), err).toBe(true)
      const after = (await orders()).filter((o) => o.time >= appliedAt + 1_000)
      expect(after.filter((o) => o.origQty !== '0.00300000')).toEqual([])
      expect((await orders()).filter((o) => o.origQty === '0.00500000').map((o) => o.status)).not.toContain('NEW')
    } finally {
      proc.kill('SIGTERM')
      await exited
    }
    const db = new Database(join(dir, 'var', 'sofia.db'), { readonly: true })
    const applied = (db.prepare("select payload from audit where type = 'strategy.version_applied'").all() as { payload: string }[]).map((r) => JSON.parse(r.payload) as Record<string, unknown>)
    db.close()
    expect(applied).toHaveLength(1)
    expect(applied[0]).toMatchObject({ strategy: 'bidder', version: 'v1', codeHash: registeredHash })
  }, 90_000)
})

describe("sofia canary run with a registered version of a user's strategy", () => {
  it('runs the version as registered, its code and its parameters, after the file was edited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-canary-run-code-'))
    const file = join(dir, 'stepper.ts')
    writeFileSync(file, stepper('code-v1'))
    const data = ['--data-dir', join(dir, 'var')]
    const reg = sofia(['registry', 'register', '--strategy', 'stepper.ts', '--strategy-version', 'v1', '--param', 'amount=0.02', '--skip-validation', '--reason', 'e2e', ...data], { cwd: dir })
    expect(reg.code, reg.stderr).toBe(0)
    writeFileSync(file, stepper('code-edited'))
    const candles = join(SHARED_DATA, 'candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json')
    const run = sofia(['canary', 'run', '--strategy', 'stepper.ts', '--strategy-version', 'v1', '--data', candles, '--balance', 'BTC=10', '--param', 'every=40', ...data], { cwd: dir })
    expect([0, 1], run.stdout + run.stderr).toContain(run.code)
    const db = new Database(join(dir, 'var', 'sofia.db'), { readonly: true })
    const orders = (db.prepare("select amount, options from orders where strategy_id = 'stepper'").all() as { amount: string; options: string }[]).map((o) => [o.amount, (JSON.parse(o.options) as { tag: string }).tag])
    db.close()
    expect(orders.length, run.stdout + run.stderr).toBeGreaterThan(5)
    // The registered code's tag and the registered amount; --param adds what the version does not set.
    expect(new Set(orders.map((o) => o.join(' ')))).toEqual(new Set(['0.02 code-v1']))
  }, 60_000)
})


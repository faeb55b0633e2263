/**
 * The market maker after a crash, end to end: a live `sofia run` on `sofia exchange-sim` quotes, is SIGKILLed,
 * the market moves 0.1% while it is down, and it starts again. Read from the exchange's own order list: the
 * quotes left from before the crash are taken over and replaced at the new prices, so they do not rest on
 * at the old ones; one bid and one ask are working at the end.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv } from './helpers.js'
import { control, sleep, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
let sim: Sim | undefined
const children: ChildProcess[] = []

type SimOrder = { clientOrderId: string; side: string; status: string; price: string; time: number }

beforeAll(async () => {
  // A quiet market (0.2 bp a step): the quotes left from before the crash stay uncrossed while the session is
  // down and restarting, however long a loaded machine takes, so only the maker can end them.
  sim = await startSim(['--tick-ms', '50', '--step-bps', '0.2', '--seed', '41', '--symbols', SYMBOL, '--trade-probability', '0', '--api-key', 'MK', '--api-secret', 'MS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])
})
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await stopSim(sim)
})

function run(dir: string): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const args = ['run', '--mode', 'live', '--url', sim!.url, '--venue', 'xsim', '--symbols', SYMBOL, '--strategy', 'market-maker', '--param', 'venue=xsim', '--param', `symbol=${SYMBOL}`]
  args.push('--param', 'amount=0.01', '--param', 'spreadBps=40', '--param', 'requoteBps=5', '--data-dir', dir)
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: cliEnv({ EXCHANGE: 'binance', API_KEY: 'MK', API_SECRET: 'MS', KILL_SWITCH: 'OFF' }), stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => (err += String(d)))
  return { proc, stderr: () => err, exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) }
}

describe('the market maker restarted after a crash', () => {
  it('takes over its quotes left at the exchange and re-prices them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-mm-restart-'))
    const orders = (): Promise<SimOrder[]> => control<SimOrder[]>(sim!, 'GET', '/sim/orders?apiKey=MK')
    const working = async (): Promise<SimOrder[]> => (await orders()).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')
    const first = run(dir)
    expect(await waitFor(async () => new Set((await working()).map((o) => o.side)).size === 2, 30_000), first.stderr()).toBe(true)
    const before = await working()
    first.proc.kill('SIGKILL')
    await first.exited
    // The market moves 0.1% while the session is down: the old quotes (0.2% either side of the old mid) are
    // not crossed, but are 10 bps off where the maker now wants them (it re-quotes past 5).
    const book = await control<{ bids: [string, string][] }>(sim!, 'GET', '/api/v3/depth?symbol=BTCUSDT&limit=1')
    await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.round(Number(book.bids[0]![0]) * 1.001) })
    const second = run(dir)
    try {
      const replaced = async (): Promise<boolean> => {
        const w = await working()
        return before.every((o) => !w.some((x) => x.clientOrderId === o.clientOrderId)) && new Set(w.map((o) => o.side)).size === 2
      }
      expect(await waitFor(replaced, 30_000), second.stderr()).toBe(true)
      await sleep(2_000) // and it stays that way: one quote a side
      const w = await working()
      expect(w.map((o) => o.side).sort(), JSON.stringify(w)).toEqual(['BUY', 'SELL'])
      const all = await orders()
      expect(before.map((o) => all.find((x) => x.clientOrderId === o.clientOrderId)?.status)).toEqual(['CANCELED', 'CANCELED'])
    } finally {
      second.proc.kill('SIGTERM')
      await second.exited
    }
  }, 90_000)
})

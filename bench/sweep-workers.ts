/**
 * @module bench/sweep-workers
 * A distributed sweep's wall time with 1, 2 and 4 `sofia worker` processes on this machine, beside the same sweep
 * on local threads in the same run: `sofia sweep --strategy sma-cross` over an 8-run grid on 100,000 1m candles
 * (a seeded walk), through a nats-server of the bench's own. Workers are started (and ready) before the clock
 * starts; the sweep command's own start-up is inside it, as for the local run. Every run's results are checked
 * equal to the local run's.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { candleJson } from './backtest-candles.js'
import { ownNats, stopChild } from './cluster.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const run = promisify(execFile)

interface SweepOut {
  results: { params: Record<string, string>; netPnl: string; fills: number }[]
}

async function timed(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ ms: number; out: SweepOut }> {
  const started = performance.now()
  const r = await run(process.execPath, [CLI, ...args], { env, cwd, maxBuffer: 64 << 20 })
  return { ms: performance.now() - started, out: JSON.parse(r.stdout) as SweepOut }
}

const figures = (o: SweepOut): string => JSON.stringify(o.results.map((r) => [r.params, r.netPnl, r.fills]))

export async function benchSweepWorkers(opts: { bars?: number } = {}): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-sweep-'))
  const env: NodeJS.ProcessEnv = { ...process.env, SOFIA_HOME: dir, SOFIA_DEBUG: '' }
  delete env['DATABASE_URL']
  const data = join(dir, 'binance_BTC-USDT_1m.json')
  writeFileSync(data, candleJson(opts.bars ?? 100_000))
  mkdirSync(join(dir, 'work'))
  const server = await ownNats(dir)
  const workers: ChildProcess[] = []
  const sweep = ['sweep', '--strategy', 'sma-cross', '--grid', 'fast=5,10,15,20', '--grid', 'slow=40,80', '--data', data, '--json']
  const out: Record<string, number> = { runs: 8, bars: opts.bars ?? 100_000 }
  try {
    const local = await timed([...sweep, '--workers', '2'], env, join(dir, 'work'))
    out['local_2_threads_s'] = Math.round(local.ms / 10) / 100
    for (const n of [1, 2, 4]) {
      while (workers.length < n) {
        const w = spawn(process.execPath, [CLI, 'worker', '--nats', server.url, '--worker-id', `bench-${workers.length + 1}`], { env, cwd: join(dir, 'work'), stdio: ['ignore', 'pipe', 'ignore'] })
        workers.push(w)
        await new Promise<void>((resolve, reject) => {
          let text = ''
          w.stdout!.on('data', (d: Buffer) => {
            text += String(d)
            if (text.includes('"ready"')) resolve()
          })
          w.once('exit', (code) => reject(new Error(`sofia worker exited ${code}`)))
        })
      }
      const r = await timed([...sweep, '--nats', server.url], env, join(dir, 'work'))
      if (figures(r.out) !== figures(local.out)) throw new Error(`bench sweep_workers: ${n} workers' results differ from the local run's`)
      out[`nats_${n}_workers_s`] = Math.round(r.ms / 10) / 100
    }
    return out
  } finally {
    for (const w of workers) await stopChild(w)
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

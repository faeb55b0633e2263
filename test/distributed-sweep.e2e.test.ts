/**
 * Distributed sweeps on the real NATS server (each test its own `nats-server -js` on a free port, so nothing
 * is shared with another test or a server already running): `sofia sweep|validate --nats URL` over
 * `sofia worker` processes gives exactly what the local run gives, each result naming its worker;
 * a worker SIGKILLed in the middle of a job changes nothing (its job goes to the other worker after the ack
 * wait, and every index has one result); bad flags and an unreachable server are one line, exit 2; no worker
 * at all is a clear error, not a hang.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, startNats as startNatsServer } from './nats.js'
import { CLI, REPO, SHARED_DATA, cliEnv } from './helpers.js'
import { waitFor } from './sim.js'

const LTC_5M = join(SHARED_DATA, 'candles/bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json')
const GRID = ['--strategy', 'sma-cross', '--grid', 'fast=5,10,20', '--grid', 'slow=40,60', '--data', LTC_5M]

interface SweepResult {
  params: Record<string, string>
  netPnl: string
  fills: number
  orders: number
  sharpe: number | null
  maxDrawdown: string
  maxDrawdownPct: number
  worker?: string
}
interface Sweep {
  strategy: string
  grid: Record<string, string[]>
  results: SweepResult[]
}
type WorkerEvent = { event: string; worker: string; sweep?: string; index?: number; delivery?: number }

interface RunningWorker {
  readonly id: string
  readonly proc: ChildProcess
  readonly events: WorkerEvent[]
  stderr: string
  /** Called with each event as it comes. */
  onEvent?: (e: WorkerEvent) => void
}

/** Everything a test started, stopped after it whatever happens. */
const started: { procs: ChildProcess[]; dirs: string[]; stops: (() => Promise<void>)[] } = { procs: [], dirs: [], stops: [] }

afterEach(async () => {
  for (const p of started.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  for (const d of started.dirs) rmSync(d, { recursive: true, force: true })
  for (const stop of started.stops) await stop()
  started.procs = []
  started.dirs = []
  started.stops = []
})

/** This test's own JetStream server, stopped after the test. */
async function startNats(): Promise<string> {
  const nats = await startNatsServer()
  started.stops.push(nats.stop)
  return nats.url
}

/** A `sofia worker`, once it says it is ready; its JSON lines are collected as they come. */
async function startWorker(nats: string, id: string, extra: readonly string[] = []): Promise<RunningWorker> {
  const proc = spawn(process.execPath, [CLI, 'worker', '--nats', nats, '--worker-id', id, ...extra], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  started.procs.push(proc)
  const w: RunningWorker = { id, proc, events: [], stderr: '' }
  let buffered = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += String(d)
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      const event = JSON.parse(line) as WorkerEvent
      w.events.push(event)
      w.onEvent?.(event)
    }
  })
  proc.stderr!.on('data', (d: Buffer) => (w.stderr += String(d)))
  if (!(await waitFor(() => w.events.some((e) => e.event === 'ready') || proc.exitCode !== null, 15_000))) throw new Error(`worker ${id} not ready: ${w.stderr}`)
  if (proc.exitCode !== null) throw new Error(`worker ${id} exited ${proc.exitCode}: ${w.stderr}`)
  return w
}

async function stopWorker(w: RunningWorker): Promise<number | null> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return w.proc.exitCode
  const exited = new Promise<number | null>((r) => w.proc.once('exit', (code) => r(code)))
  w.proc.kill('SIGTERM')
  return exited
}

/** The CLI without blocking this process (the workers' output must keep flowing meanwhile). */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO, env: cliEnv(), encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

async function sweepJson(args: readonly string[]): Promise<Sweep> {
  const r = await cli(['sweep', ...args, '--json'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Sweep
}

const withoutWorker = (results: readonly SweepResult[]): SweepResult[] => results.map(({ worker: _, ...r }) => r)

describe('sofia sweep|validate --nats over sofia worker processes', () => {
  it('two workers give exactly the local sweep, both take part, each result names its worker; SIGTERM exits 0', async () => {
    const nats = await startNats()
    const [a, b] = await Promise.all([startWorker(nats, 'wa'), startWorker(nats, 'wb')])
    const local = await sweepJson(GRID)
    const remote = await sweepJson([...GRID, '--nats', nats])
    expect(remote.results).toHaveLength(6)
    expect(withoutWorker(remote.results)).toEqual(local.results)
    expect({ strategy: remote.strategy, grid: remote.grid }).toEqual({ strategy: local.strategy, grid: local.grid })
    expect(new Set(remote.results.map((r) => r.worker))).toEqual(new Set(['wa', 'wb']))
    // Each result's worker is the one that logged it.
    for (const [i, r] of remote.results.entries()) {
      const by = r.worker === 'wa' ? a : b
      expect(by.events.some((e) => e.event === 'result' && e.index === i)).toBe(true)
    }
    const table = await cli(['sweep', ...GRID, '--nats', nats])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^fast +slow +net P&L +fills +Sharpe +max DD % +worker$/m)
    expect(table.stdout).toMatch(/^20 +60 +-0\.\d+ +\d+ +-?[\d.]+ +[\d.]+ +w[ab]$/m)
    expect(table.stdout).toMatch(/^6 runs in [\d.]+ s$/m)
    expect(await Promise.all([stopWorker(a), stopWorker(b)])).toEqual([0, 0])
    expect(a.events.at(-1)?.event).toBe('stopped')
  })

  it('a worker SIGKILLed while it runs a job changes nothing: the job goes to the other worker, one result per index', async () => {
    const nats = await startNats()
    // A short ack wait, so the killed worker's job is given again within seconds.
    const a = await startWorker(nats, 'victim', ['--ack-wait', '2s'])
    const b = await startWorker(nats, 'survivor', ['--ack-wait', '2s'])
    const local = await sweepJson(GRID)
    // Kill the victim once it has finished a job and taken the next one (a backtest here takes ~300 ms).
    let killedIndex: number | undefined
    a.onEvent = (e) => {
      if (killedIndex === undefined && e.event === 'job' && a.events.some((x) => x.event === 'result')) {
        a.proc.kill('SIGKILL')
        killedIndex = e.index
      }
    }
    const remote = await sweepJson([...GRID, '--nats', nats])
    expect(killedIndex).toBeDefined()
    expect(a.proc.signalCode).toBe('SIGKILL')
    expect(a.events.some((e) => e.event === 'result' && e.index === killedIndex)).toBe(false)
    expect(withoutWorker(remote.results)).toEqual(local.results)
    expect(remote.results[killedIndex!]!.worker).toBe('survivor')
    expect(b.events.some((e) => e.event === 'job' && e.index === killedIndex && e.delivery === 2)).toBe(true)
    expect(new Set(remote.results.map((r) => r.worker))).toEqual(new Set(['victim', 'survivor']))
    expect(await stopWorker(b)).toBe(0)
  })

  it('validate over NATS gives the same report as validate on local threads', async () => {
    const nats = await startNats()
    await Promise.all([startWorker(nats, 'v1'), startWorker(nats, 'v2')])
    const args = ['validate', '--strategy', 'sma-cross', '--data', LTC_5M, '--folds', '3', '--trials', '4', '--json']
    const local = await cli(args)
    const remote = await cli([...args, '--nats', nats])
    expect(remote.stderr).toBe(local.stderr)
    expect(remote.code).toBe(local.code)
    expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout))
    expect((JSON.parse(local.stdout) as { folds: unknown[] }).folds).toHaveLength(3)
  })

  it('bad flags and an unreachable server: one line naming what, exit 2; no worker: a clear error within --timeout', async () => {
    const nats = await startNats()
    const down = `nats://127.0.0.1:${await freePort()}`
    const cases: [readonly string[], RegExp][] = [
      [['worker'], /^sofia: required option '--nats <url>' not specified/],
      [['worker', '--nats', nats, '--bogus'], /^sofia: unknown option '--bogus'/],
      [['worker', '--nats', nats, '--queue', 'a.b'], /^sofia: --queue 'a\.b': letters, digits, '_' and '-' only$/],
      [['worker', '--nats', nats, '--ack-wait', '30'], /^sofia: --ack-wait: expected a duration with a unit/],
      [['worker', '--nats', nats, '--worker-id', 'a b'], /^sofia: --worker-id 'a b': /],
      [['worker', '--nats', down], new RegExp(`^sofia: --nats ${down}: cannot connect: `)],
      [['sweep', ...GRID, '--nats', down], new RegExp(`^sofia: --nats ${down}: cannot connect: `)],
      [['validate', '--strategy', 'sma-cross', '--data', LTC_5M, '--nats', down], new RegExp(`^sofia: --nats ${down}: cannot connect: `)],
      [['sweep', ...GRID, '--queue', 'Q'], /^sofia: --queue: only with --nats URL$/],
      [['sweep', ...GRID, '--nats', nats, '--timeout', 'soon'], /^sofia: --timeout: /],
      [['sweep', ...GRID, '--nats', nats, '--workers', '2'], /^sofia: --workers: local threads only, not with --nats$/],
    ]
    const answers = await Promise.all(cases.map(([args]) => cli(args)))
    for (const [i, [args, message]] of cases.entries()) {
      const r = answers[i]!
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(r.stderr.trimEnd()).toMatch(message)
    }
    // Nobody serves this queue: the sweep says so after --timeout instead of waiting for ever.
    const t0 = Date.now()
    const alone = await cli(['sweep', ...GRID, '--nats', nats, '--queue', 'NOBODY', '--timeout', '1s'])
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect(alone.code).toBe(1)
    expect(alone.stderr.trimEnd()).toBe(
      `sofia: NoWorkerAnswered: no worker answered for 1 s: 0 of 6 results in (queue NOBODY on ${nats}; start workers with sofia worker --nats ${nats})`,
    )
    // A job a worker cannot run (the file is not there) fails the sweep as the local run does.
    await startWorker(nats, 'w')
    const missing = ['sweep', '--strategy', 'sma-cross', '--grid', 'fast=5', '--data', '/nonexistent/ltc.json']
    const [localMissing, remoteMissing] = [await cli(missing), await cli([...missing, '--nats', nats])]
    expect(localMissing.code).toBe(2)
    expect([remoteMissing.code, remoteMissing.stderr]).toEqual([localMissing.code, localMissing.stderr])
  })
})

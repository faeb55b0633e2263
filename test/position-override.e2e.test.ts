/**
 * End-to-end: `config/position_override.json` under `sofia run` on `sofia exchange-sim`. An unknown strategy
 * id stops the session before it starts (exit 2, one line naming the file and the key); a change to the file
 * while the session runs is in effect and audited within 5 s; a bad change is refused, audited and alerted,
 * and the override in force stays.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../src/store/index.js'
import { CLI, cliEnv, sofia } from './helpers.js'
import { startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

let sim: Sim | undefined
beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '11', '--symbols', 'BTC/USDT', '--trade-probability', '1'])
})
afterAll(async () => {
  await stopSim(sim)
})

const MM = ['--strategy', 'market-maker', '--param', 'venue=xsim', '--param', 'symbol=BTC/USDT', '--param', 'amount=0.002']
const env = { EXCHANGE: 'binance' }

function workDir(override: string): { work: string; file: string; dataDir: string } {
  const work = mkdtempSync(join(tmpdir(), 'sofia-override-e2e-'))
  mkdirSync(join(work, 'config'))
  const file = join(work, 'config', 'position_override.json')
  writeFileSync(file, override)
  return { work, file, dataDir: join(work, 'var') }
}

describe('config/position_override.json under sofia run', () => {
  it('refuses an unknown strategy id before the session starts: exit 2, one line naming the file and the key', () => {
    const { work, dataDir } = workDir('{"strategies": {"sma-cross": 0.5}}')
    const r = sofia(['run', '--mode', 'shadow', '--url', sim!.url, '--venue', 'xsim', ...MM, '--duration', '5', '--data-dir', dataDir], { cwd: work, env })
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim()).toMatch(/position_override\.json: strategies\.sma-cross: unknown strategy id \(this session runs market-maker\)$/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('reloads a change within 5 s (audited), and refuses a bad one keeping the override in force', async () => {
    const { work, file, dataDir } = workDir('{"account": 1}')
    const child = spawn(process.execPath, [CLI, 'run', '--mode', 'shadow', '--url', sim!.url, '--venue', 'xsim', ...MM, '--duration', '14', '--data-dir', dataDir], {
      cwd: work,
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    let changedAt = 0
    let badAt = 0
    try {
      // The session is up once its lease is in the store (the watch starts as the session is built).
      const running = (): boolean => {
        const st = sofia(['status', '--json', '--data-dir', dataDir], { cwd: work, env })
        return st.code === 0 && (JSON.parse(st.stdout) as { session: unknown }).session !== null
      }
      expect(await waitFor(running, 20_000, 200), stderr).toBe(true)
      changedAt = Date.now()
      writeFileSync(file, '{"max_position_pct": 0.005}')
      expect(await waitFor(() => /reloaded/.test(stderr), 8_000, 50), stderr).toBe(true)
      badAt = Date.now()
      writeFileSync(file, '{"strategies": {"nobody": 0.5}}')
      expect(await waitFor(() => /\[critical\] position_override/.test(stderr), 8_000, 50), stderr).toBe(true)
    } finally {
      const code = await exited
      expect(code, stderr).toBe(0)
    }
    const store = await openStore({ dataDir, create: false })
    try {
      const records: { ts: number; type: string; payload: Record<string, unknown> }[] = []
      for await (const b of store.iterateAudit()) for (const r of b) records.push({ ts: r.ts, type: r.type, payload: r.payload as Record<string, unknown> })
      const changed = records.filter((r) => r.type === 'risk.override_changed')
      expect(changed).toHaveLength(1)
      expect(changed[0]!.payload['to']).toMatchObject({ account: '1', maxPositionPct: 0.005 })
      const refused = records.filter((r) => r.type === 'risk.override_refused')
      expect(refused).toHaveLength(1)
      expect(refused[0]!.payload).toMatchObject({ kept: { maxPositionPct: 0.005 } })
      expect(String(refused[0]!.payload['error'])).toMatch(/strategies\.nobody: unknown strategy id/)
      const latency = changed[0]!.ts - changedAt
      console.log(`position override reloaded ${latency} ms after the write; refusal after ${refused[0]!.ts - badAt} ms`)
      expect(latency).toBeLessThan(5_000)
    } finally {
      await store.close()
    }
  }, 60_000)
})

describe('config/position_override.json under sofia serve', () => {
  it('refuses an unknown strategy id at start, and reloads a change within 5 s, audited', async () => {
    const bad = workDir('{"strategies": {"nobody": 0.5}}')
    const refused = sofia(['serve', '--port', '0', '--duration', '3', '--data-dir', bad.dataDir], { cwd: bad.work })
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr.trim()).toMatch(/position_override\.json: strategies\.nobody: unknown strategy id \(this session runs sma-cross, cross-venue-arb, market-maker\)$/)

    const { work, file, dataDir } = workDir('{"account": 1}')
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--duration', '12', '--step-ms', '20', '--data-dir', dataDir], { cwd: work, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)))
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    let changedAt = 0
    try {
      const running = (): boolean => {
        const st = sofia(['status', '--json', '--data-dir', dataDir], { cwd: work })
        return st.code === 0 && (JSON.parse(st.stdout) as { session: unknown }).session !== null
      }
      expect(await waitFor(running, 20_000, 200), stderr).toBe(true)
      changedAt = Date.now()
      writeFileSync(file, '{"account": 1, "strategies": {"market-maker": 0.5}}')
      expect(await waitFor(() => /reloaded/.test(stderr), 8_000, 50), stderr).toBe(true)
    } finally {
      const code = await exited
      expect(code, stderr + stdout).toBe(0)
    }
    const store = await openStore({ dataDir, create: false })
    try {
      const changed: { ts: number; payload: Record<string, unknown> }[] = []
      for await (const b of store.iterateAudit()) for (const r of b) if (r.type === 'risk.override_changed') changed.push({ ts: r.ts, payload: r.payload as Record<string, unknown> })
      expect(changed).toHaveLength(1)
      expect(changed[0]!.payload['to']).toMatchObject({ account: '1', strategies: { 'market-maker': '0.5' } })
      expect(changed[0]!.ts - changedAt).toBeLessThan(5_000)
    } finally {
      await store.close()
    }
  }, 60_000)
})

/**
 * Canary roll-outs on recorded data (ETH/BTC 5-minute candles, 20 days) in simulated time, with stage
 * durations shortened to fit the data; automatic rollback with every step in the audit chain and the
 * incident record; `sofia rollback --dry-run` changing nothing; the CLI's exit codes.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStore } from '../src/store/index.js'
import type { Store } from '../src/store/index.js'
import { CANARY_STATE_KEY, StrategyRegistry, parseCanaryConfig, runCanaryBacktest, storeSink } from '../src/ops/canary/index.js'
import type { CanaryState, IncidentRecord } from '../src/ops/canary/index.js'
import { spawn } from 'node:child_process'
import { CLI, SHARED_DATA, cliEnv, sofia } from './helpers.js'
import { startServe, stopServe } from './serve.js'

const ETH_BTC_5M = join(SHARED_DATA, 'candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json')
const XRP_ETH_5M = join(SHARED_DATA, 'candles/binance_XRP-ETH_5m_2019-10-11_2019-10-13.json')
const STAGES_YAML = `evaluate_every: 1h
stages:
  - { name: shadow, capital_pct: 0, min_duration: 3d }
  - { name: canary-1, capital_pct: 1, min_duration: 3d, max_drawdown_pct: 2, pnl_deviation_pct: 10 }
  - { name: canary-2, capital_pct: 5, min_duration: 4d, max_drawdown_pct: 3, pnl_deviation_pct: 10 }
  - { name: production, capital_pct: 100, min_duration: ongoing, max_drawdown_pct: 10, pnl_deviation_pct: 15 }
`
const CONFIG = parseCanaryConfig(STAGES_YAML, 'test canary.yaml')
const PARAMS = { timeframe: '5m', fast: '10', slow: '30', amount: '20' }

async function auditTypes(store: Store): Promise<{ type: string; actor: string; payload: Record<string, unknown> }[]> {
  const out: { type: string; actor: string; payload: Record<string, unknown> }[] = []
  for await (const b of store.iterateAudit()) for (const a of b) out.push({ type: a.type, actor: a.actor, payload: a.payload as Record<string, unknown> })
  return out
}

async function rollout(liveExtraSlippageBps: number): Promise<{ r: Awaited<ReturnType<typeof runCanaryBacktest>>; store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-canary-'))
  const store = await openStore({ dataDir: dir, create: true })
  const registry = new StrategyRegistry(storeSink(store, () => Date.UTC(2018, 0, 1)))
  await registry.register({ strategy: 'sma-cross', version: 'v1', params: PARAMS, skipValidation: { reason: 'baseline in production' } }, 'operator:test')
  await registry.promote('sma-cross', 'v1', 'operator:test')
  await registry.register({ strategy: 'sma-cross', version: 'v2', params: PARAMS, skipValidation: { reason: 'candidate' } }, 'operator:test')
  await registry.promote('sma-cross', 'v2', 'operator:test')
  const notified: string[] = []
  const r = await runCanaryBacktest({
    data: [ETH_BTC_5M],
    strategy: { name: 'sma-cross', params: PARAMS },
    version: 'v2',
    config: CONFIG,
    store,
    dataDir: dir,
    freezeFile: join(dir, 'config', 'online_learning_freeze.json'),
    slippageBps: 5,
    liveExtraSlippageBps,
    balances: { BTC: '10' },
    notifier: (alert) => notified.push(alert.summary),
  })
  if (r.rollback !== undefined) expect(notified).toHaveLength(1)
  return { r, store, dir }
}

describe('canary roll-out on recorded data (simulated time)', () => {
  it('a good version progresses through every stage', async () => {
    const { r, store } = await rollout(0)
    expect(r.state?.status).toBe('running')
    expect(r.state?.stage).toBe('production')
    expect(r.state?.history.map((h) => [h.stage, h.outcome])).toEqual([
      ['shadow', 'progressed'],
      ['canary-1', 'progressed'],
      ['canary-2', 'progressed'],
    ])
    for (const h of r.state!.history.slice(1)) {
      const status = Object.fromEntries(h.criteria!.map((c) => [c.name, c.status]))
      expect(status).toMatchObject({ min_duration: 'pass', pnl_deviation: 'pass', slippage: 'pass', critical_alerts: 'pass', drawdown: 'pass', fill_rate: 'pass' })
    }
    expect(r.rollback).toBeUndefined()
    const stored = await store.getState<CanaryState>(CANARY_STATE_KEY)
    expect(stored?.stage).toBe('production')
    const types = (await auditTypes(store)).map((a) => a.type)
    expect(types.filter((t) => t === 'canary.progressed')).toHaveLength(3)
    expect(types).toContain('canary.fill')
    expect(types).not.toContain('rollback.started')
    await store.close()
  }, 120_000)

  it('a version that misbehaves in canary-1 (worse slippage, a drawdown) is rolled back automatically', async () => {
    const { r, store, dir } = await rollout(300)
    expect(r.state?.status).toBe('rolled_back')
    expect(r.state?.stage).toBe('canary-1')
    const failedStage = r.state!.history[r.state!.history.length - 1]!
    expect(failedStage.outcome).toBe('rolled_back')
    expect(failedStage.failed).toContain('drawdown')
    expect(failedStage.failed).toContain('slippage')
    expect(r.rollback?.ok).toBe(true)
    expect(r.rollback?.steps.map((s) => s.step)).toEqual(['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident'])

    // Every step in the audit chain, in order, with what it did.
    const audit = await auditTypes(store)
    const from = audit.findIndex((a) => a.type === 'canary.failed')
    const after = audit.slice(from)
    const seq = after.map((a) => (a.type === 'rollback.step' ? `step:${String(a.payload['step'])}` : a.type)).filter((t) => t.startsWith('step:') || ['rollback.started', 'rollback.completed', 'kill_switch.activated', 'registry.rolled_back'].includes(t))
    expect(seq).toEqual(['rollback.started', 'step:stop_trading', 'kill_switch.activated', 'step:kill_switch', 'registry.rolled_back', 'step:switch_version', 'step:freeze_learning', 'step:position_override', 'step:notify', 'step:incident', 'rollback.completed'])
    expect(after.find((a) => a.type === 'kill_switch.activated')?.payload['trigger']).toBe('rollback')
    const stateChanges = after.filter((a) => a.type === 'state.changed').map((a) => [a.payload['key'], a.payload['value']])
    expect(stateChanges).toContainEqual(['trading_states', expect.objectContaining({ account: 'HALTED' })])
    expect(stateChanges).toContainEqual(['position_override', expect.objectContaining({ account: '0.1' })])

    // Registry back on last_good, learning frozen, incident written with the audit timeline.
    const versions = Object.fromEntries((await store.loadStrategyVersions('sma-cross')).map((v) => [v.version, v.status]))
    expect(versions).toEqual({ v1: 'active', v2: 'rolled_back' })
    const freeze = JSON.parse(readFileSync(join(dir, 'config', 'online_learning_freeze.json'), 'utf8')) as { frozen: boolean; reason: string }
    expect(freeze.frozen).toBe(true)
    expect(freeze.reason).toMatch(/canary-1 failed/)
    const incident = JSON.parse(readFileSync(r.rollback!.incident!.json, 'utf8')) as IncidentRecord
    expect(incident.id).toMatch(/^INC-2018\d{4}T\d{6}Z$/)
    const timeline = incident.timeline.map((e) => e.type)
    for (const t of ['canary.progressed', 'canary.failed', 'rollback.started', 'kill_switch.activated', 'registry.rolled_back', 'rollback.step']) expect(timeline).toContain(t)
    expect(incident.impact['failedCriteria']).toEqual(failedStage.failed)
    const md = readFileSync(r.rollback!.incident!.md, 'utf8')
    for (const h of ['## Summary', '## Impact', '## Timeline', '## Root cause', '## Action items']) expect(md).toContain(h)
    await store.close()
  }, 120_000)
})

function hashTree(path: string): string {
  const h = createHash('sha256')
  const walk = (p: string): void => {
    if (!existsSync(p)) return void h.update(`missing:${p}`)
    if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f))
    else h.update(p).update(readFileSync(p))
  }
  walk(path)
  return h.digest('hex')
}

describe('sofia registry / rollback / canary / validate (CLI)', () => {
  const work = mkdtempSync(join(tmpdir(), 'sofia-canary-cli-'))
  const home = join(work, 'var')
  mkdirSync(join(work, 'config'), { recursive: true })
  const run = (args: string[]): ReturnType<typeof sofia> => sofia([...args, '--data-dir', home], { cwd: work })

  it('registers, promotes, dry-runs a rollback without changing a byte, then rolls back', () => {
    expect(run(['registry', 'register', '--strategy', 'sma-cross', '--strategy-version', 'v1', '--param', 'fast=5', '--skip-validation']).code).toBe(2)
    for (const v of ['v1', 'v2']) {
      const reg = run(['registry', 'register', '--strategy', 'sma-cross', '--strategy-version', v, '--param', 'fast=5', '--skip-validation', '--reason', 'test'])
      expect(reg.code, reg.stderr).toBe(0)
      expect(run(['registry', 'promote', '--strategy', 'sma-cross', '--strategy-version', v]).code).toBe(0)
    }
    const list = JSON.parse(run(['registry', 'list', '--json']).stdout) as { version: string; status: string }[]
    expect(list.map((v) => [v.version, v.status])).toEqual([['v1', 'last_good'], ['v2', 'active']])

    const before = [hashTree(join(home, 'sofia.db')), hashTree(join(work, 'config')), hashTree(home)]
    const dry = run(['rollback', '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/DRY RUN/)
    for (const step of ['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident']) expect(dry.stdout).toContain(step)
    expect(dry.stdout).toContain('sma-cross: v2 → v1')
    expect([hashTree(join(home, 'sofia.db')), hashTree(join(work, 'config')), hashTree(home)]).toEqual(before)

    expect(run(['rollback']).code).toBe(2)
    const real = run(['rollback', '--reason', 'fills far from simulation', '--json'])
    expect(real.code, real.stderr).toBe(0)
    const report = JSON.parse(real.stdout) as { ok: boolean; steps: { step: string; ok: boolean }[]; incident: { md: string } }
    expect(report.steps.every((s) => s.ok)).toBe(true)
    expect(existsSync(report.incident.md)).toBe(true)
    expect(JSON.parse(readFileSync(join(work, 'config', 'online_learning_freeze.json'), 'utf8'))).toMatchObject({ frozen: true })
    const ks = JSON.parse(run(['kill-switch', 'status', '--json']).stdout) as { killSwitch: { active: boolean; trigger: string } }
    expect(ks.killSwitch).toMatchObject({ active: true, trigger: 'rollback' })
    const status = run(['rollback', '--status'])
    expect(status.stdout).toMatch(/rollback \(operator\)/)
    expect(status.stdout).toMatch(/last incident: INC-/)
    const after = JSON.parse(run(['registry', 'list', '--json']).stdout) as { version: string; status: string }[]
    expect(after.map((v) => [v.version, v.status])).toEqual([['v1', 'active'], ['v2', 'rolled_back']])
    const verify = run(['audit', 'verify'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
  }, 60_000)

  it('canary run on recorded data: exit 1 when it rolls back; status and progress read the store', () => {
    writeFileSync(join(work, 'config', 'canary.yaml'), STAGES_YAML)
    const args = ['canary', 'run', '--strategy', 'sma-cross', '--strategy-version', 'v3', '--data', ETH_BTC_5M, '--balance', 'BTC=10', ...Object.entries(PARAMS).flatMap(([k, v]) => ['--param', `${k}=${v}`])]
    const canaryHome = join(work, 'canary-var')
    const bad = sofia([...args, '--live-extra-slippage-bps', '300', '--data-dir', canaryHome], { cwd: work })
    expect(bad.code, bad.stderr).toBe(1)
    expect(bad.stdout).toMatch(/ROLLED_BACK in stage canary-1/)
    const progress = sofia(['canary', 'progress', '--data-dir', canaryHome], { cwd: work })
    expect(progress.code).toBe(1)
    expect(progress.stdout).toMatch(/FAIL +drawdown/)
    expect(progress.stdout).toMatch(/slippage/)
    expect(sofia(['canary', 'status', '--data-dir', canaryHome], { cwd: work }).stdout).toMatch(/canary sma-cross v3: ROLLED_BACK/)
  }, 120_000)

  it('validate: exit 1 naming the failing criteria; bad input exit 2 with one line', () => {
    const v = sofia(['validate', '--strategy', 'sma-cross', '--data', XRP_ETH_5M, '--param', 'timeframe=5m', '--param', 'amount=100', '--folds', '3', '--trials', '3'])
    expect(v.code, v.stderr).toBe(1)
    expect(v.stdout).toMatch(/validation FAILED: /)
    expect(v.stdout).toMatch(/fold 3:/)
    expect(v.stdout).toMatch(/FAIL +walk_forward_sharpe|FAIL +deflated_sharpe|FAIL +pbo/)
    const bad = sofia(['validate', '--strategy', 'sma-cross', '--data', ETH_BTC_5M, '--folds', 'x'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/--folds: expected a non-negative integer, got 'x'/)
    expect(sofia(['validate', '--strategy', 'nope', '--data', ETH_BTC_5M]).code).toBe(2)
    expect(run(['canary', 'start', 'canary-9', '--strategy', 'sma-cross', '--strategy-version', 'v1']).stderr).toMatch(/unknown stage 'canary-9'/)
  }, 120_000)
})

/**
 * A working directory (its store in ./var, an empty ./config) where v1 and then v2 of `strategy` (with `param`)
 * were registered and promoted: v2 active, v1 its last_good. `run` runs the CLI there.
 */
function promotedTwice(prefix: string, strategy: string, param: string): { work: string; home: string; run: (args: string[]) => ReturnType<typeof sofia> } {
  const work = mkdtempSync(join(tmpdir(), prefix))
  const home = join(work, 'var')
  mkdirSync(join(work, 'config'), { recursive: true })
  const run = (args: string[]): ReturnType<typeof sofia> => sofia([...args, '--data-dir', home], { cwd: work })
  for (const v of ['v1', 'v2']) {
    expect(run(['registry', 'register', '--strategy', strategy, '--strategy-version', v, '--param', param, '--skip-validation', '--reason', 'test']).code).toBe(0)
    expect(run(['registry', 'promote', '--strategy', strategy, '--strategy-version', v]).code).toBe(0)
  }
  return { work, home, run }
}

/** A `sofia paper` session in another process, once it trades and has renewed its session lease; `stop` ends it. */
async function paperSession(home: string, work: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'paper', '--duration', '60', '--step-ms', '20', '--data-dir', home], { cwd: work, env: cliEnv() })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  while (!/\[\s*\d+s\] P&L/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 1_200)) // a heartbeat of the session lease
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    await exited
  }
  return { stop }
}

describe('automatic rollback in a running sofia serve', () => {
  it('rolls a deployment back when the KILL_SWITCH file appears: every step, audited, incident written', async () => {
    const { work, home, run } = promotedTwice('sofia-autorollback-', 'market-maker', 'amount=5')
    const server = await startServe(['--port', '0', '--data-dir', home, '--step-ms', '20'], { cwd: work })
    try {
      writeFileSync(join(work, 'KILL_SWITCH'), 'halt\n')
      const freeze = join(work, 'config', 'online_learning_freeze.json')
      const until = Date.now() + 15_000
      while (!existsSync(freeze) && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
      expect(existsSync(freeze)).toBe(true)
      await new Promise((r) => setTimeout(r, 1_000))
    } finally {
      await stopServe(server, 'SIGTERM')
    }
    const list = JSON.parse(run(['registry', 'list', '--json']).stdout) as { version: string; status: string }[]
    expect(list.map((v) => [v.version, v.status])).toEqual([['v1', 'active'], ['v2', 'rolled_back']])
    const status = run(['rollback', '--status'])
    expect(status.stdout).toMatch(/rollback \(kill_switch_file\)/)
    expect(status.stdout).toMatch(/last incident: INC-/)
    const ks = JSON.parse(run(['kill-switch', 'status', '--json']).stdout) as { killSwitch: { active: boolean; trigger: string } }
    expect(ks.killSwitch.active).toBe(true)
    const chain = join(work, 'chain.jsonl')
    expect(run(['audit', 'export', '--out', chain]).code).toBe(0)
    const steps = readFileSync(chain, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: { step?: string; trigger?: string } })
      .filter((r) => r.type === 'rollback.step')
    expect(steps.map((r) => r.payload.step)).toEqual(['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident'])
    expect(new Set(steps.map((r) => r.payload.trigger))).toEqual(new Set(['kill_switch_file']))
    expect(run(['audit', 'verify']).code).toBe(0)
  }, 90_000)

  it('sofia rollback while a paper session runs in another process: the session carries out and audits every step', async () => {
    const { work, home, run } = promotedTwice('sofia-liverollback-', 'sma-cross', 'fast=2')
    const session = await paperSession(home, work)
    let report: { ok: boolean; trigger: string; steps: { step: string; ok: boolean; detail: string }[]; incident: { md: string } }
    try {
      const r = run(['rollback', '--reason', 'live fills far from the shadow twin', '--json', '--actor', 'alice'])
      expect(r.code, r.stderr).toBe(0)
      report = JSON.parse(r.stdout) as typeof report
    } finally {
      await session.stop()
    }
    expect(report.ok).toBe(true)
    expect(report.trigger).toBe('operator')
    expect(report.steps.map((s) => s.step)).toEqual(['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident'])
    expect(report.steps.find((s) => s.step === 'kill_switch')?.detail).toMatch(/kill switch activated \(trigger rollback\)/)
    expect(existsSync(report.incident.md)).toBe(true)
    const list = JSON.parse(run(['registry', 'list', '--json']).stdout) as { version: string; status: string }[]
    expect(list.map((v) => [v.version, v.status])).toEqual([['v1', 'active'], ['v2', 'rolled_back']])
    const store = await openStore({ dataDir: home, create: false })
    try {
      const chain = await auditTypes(store)
      const ks = chain.filter((a) => a.type === 'kill_switch.activated')
      expect(ks).toHaveLength(1)
      expect(ks[0]).toMatchObject({ actor: 'operator:alice', payload: { trigger: 'rollback' } })
      const steps = chain.filter((a) => a.type === 'rollback.step')
      expect(steps.map((a) => a.payload['step'])).toEqual(report.steps.map((s) => s.step))
      expect(new Set(steps.map((a) => a.actor))).toEqual(new Set(['operator:alice']))
      expect(chain.some((a) => a.type === 'rollback.completed' && a.payload['ok'] === true)).toBe(true)
      expect(chain.filter((a) => a.type === 'registry.rolled_back').map((a) => [a.actor, a.payload['from'], a.payload['to']])).toEqual([['operator:alice', 'v2', 'v1']])
    } finally {
      await store.close()
    }
    expect(run(['audit', 'verify']).code).toBe(0)
  }, 90_000)
})

describe('operator actions while a session runs are in its audit chain', () => {
  it('registry register/promote, canary start, tokens create/revoke: through the session, with actor and reason; without one, to the store', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sofia-canary-audit-'))
    const home = join(work, 'var')
    const run = (args: string[]): ReturnType<typeof sofia> => sofia([...args, '--data-dir', home], { cwd: work })
    // No session: the CLI appends the records itself.
    expect(run(['registry', 'register', '--strategy', 'sma-cross', '--strategy-version', 'v1', '--param', 'fast=2', '--skip-validation', '--reason', 'baseline', '--actor', 'carol']).code).toBe(0)
    const session = await paperSession(home, work)
    try {
      for (const args of [
        ['registry', 'register', '--strategy', 'sma-cross', '--strategy-version', 'v2', '--param', 'fast=3', '--skip-validation', '--reason', 'faster signal'],
        ['registry', 'promote', '--strategy', 'sma-cross', '--strategy-version', 'v1', '--reason', 'baseline live'],
        ['canary', 'start', 'canary_1', '--strategy', 'sma-cross', '--strategy-version', 'v2', '--reason', 'runbook step 4'],
        ['tokens', 'create', '--name', 'dash', '--role', 'viewer'],
        ['tokens', 'revoke', 'dash'],
      ]) {
        const r = run([...args, '--actor', 'bob'])
        expect(r.code, r.stderr).toBe(0)
      }
    } finally {
      await session.stop()
    }
    const store = await openStore({ dataDir: home, create: false })
    try {
      const chain = await auditTypes(store)
      const ops = chain.filter((a) => /^(registry|canary)\./.test(a.type) && a.type !== 'registry.validation_skipped').map((a) => [a.type, a.actor, a.payload['version'], a.payload['reason'] ?? a.payload['stage']])
      expect(ops).toEqual([
        ['registry.registered', 'operator:carol', 'v1', 'baseline'],
        ['registry.registered', 'operator:bob', 'v2', 'faster signal'],
        ['registry.promoted', 'operator:bob', 'v1', 'baseline live'],
        ['canary.stage_started', 'operator:bob', 'v2', 'runbook step 4'],
      ])
      expect(chain.find((a) => a.type === 'canary.stage_started')?.payload['stage']).toBe('canary-1')
      expect(chain.filter((a) => a.type.startsWith('api.token.')).map((a) => [a.type, a.actor, a.payload['name']])).toEqual([
        ['api.token.created', 'operator:bob', 'dash'],
        ['api.token.revoked', 'operator:bob', 'dash'],
      ])
      // The three made while the session ran sit between its start and its end: the session wrote them.
      const started = chain.findIndex((a) => a.type === 'session.started')
      expect(started).toBeGreaterThan(chain.findIndex((a) => a.actor === 'operator:carol'))
      expect(chain.findIndex((a) => a.actor === 'operator:bob')).toBeGreaterThan(started)
    } finally {
      await store.close()
    }
    expect(run(['audit', 'verify']).code).toBe(0)
  }, 90_000)
})

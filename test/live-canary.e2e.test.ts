/**
 * End-to-end: the canary orchestrator inside a session on `sofia exchange-sim` (the real ccxt adapter and
 * feed, a real SQLite store). A roll-out recorded in the store is taken over by the session: a good version
 * goes shadow → canary-1 (50% of each intent to the exchange) → production (live) on the wall clock, the
 * ledger taking the exchange's balances when the exchange becomes the primary leg; a version whose canary
 * stage breaks its drawdown limit is rolled back by the session with every rollback step audited.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CANARY_STATE_KEY, StrategyRegistry, attachLiveCanary, attachSessionRollback, parseCanaryConfig, storeSink } from '../src/ops/canary/index.js'
import type { CanaryState, LiveCanary } from '../src/ops/canary/index.js'
import { openStore } from '../src/store/index.js'
import type { Store } from '../src/store/index.js'
import { createStrategies } from '../src/system/index.js'
import type { ExchangeSession } from '../src/system/index.js'
import { buildSimSession, readAudit } from './session-helpers.js'
import { control, useSim, waitFor } from './sim.js'

const SYMBOL = 'BTC/USDT'
const sim = useSim(['--tick-ms', '50', '--seed', '5', '--symbols', SYMBOL, '--trade-probability', '1', '--api-key', 'LK', '--api-secret', 'LS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])

const PARAMS = { venue: 'xsim', symbol: SYMBOL, amount: '0.002', spreadBps: '1' }

// Generous criteria for the good version; the bad one stays in canary-1 until its first losing fill.
const stagesYaml = (canaryDrawdownPct: number): string => `evaluate_every: 1s
criteria: { slippage_ratio_max: 1000, fill_rate_min_ratio: 0 }
stages:
  - { name: shadow, capital_pct: 0, min_duration: 2s }
  - { name: canary-1, capital_pct: 50, min_duration: ${canaryDrawdownPct < 1 ? '10m' : '3s'}, max_drawdown_pct: ${canaryDrawdownPct}, pnl_deviation_pct: 1000 }
  - { name: production, capital_pct: 100, min_duration: ongoing, max_drawdown_pct: 90, pnl_deviation_pct: 1000 }
`

async function prepare(startRollout = true, v2Params: Record<string, string> | undefined = undefined): Promise<{ store: Store; dir: string; rollout: CanaryState }> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-live-canary-'))
  const store = await openStore({ dataDir: dir, create: true })
  const sink = storeSink(store)
  const registry = new StrategyRegistry(sink)
  for (const version of ['v1', 'v2']) {
    const params = version === 'v2' && v2Params !== undefined ? v2Params : PARAMS
    await registry.register({ strategy: 'market-maker', version, params, skipValidation: { reason: 'test' } }, 'operator:test')
    // A version with its own parameters is rolled out before it is promoted, as an operator does.
    if (version === 'v1' || v2Params === undefined) await registry.promote('market-maker', version, 'operator:test')
  }
  const now = Date.now()
  const rollout: CanaryState = { strategy: 'market-maker', version: 'v2', status: 'running', stage: 'shadow', stageStartedAt: now, startedAt: now, history: [] }
  if (startRollout) await sink.commit({ state: [{ key: CANARY_STATE_KEY, value: rollout }] }, [{ type: 'canary.stage_started', actor: 'operator:test', payload: { strategy: 'market-maker', version: 'v2', stage: 'shadow', from: null, reason: 'test' } }])
  return { store, dir, rollout }
}

async function session(
  store: Store,
  dir: string,
  stages: string,
  until: (s: ExchangeSession, c: LiveCanary) => boolean,
  onReady?: () => Promise<void>,
  pollMs: number | undefined = 200,
): Promise<{ s: ExchangeSession; canary: LiveCanary; lines: string[] }> {
  const lines: string[] = []
  const built = await buildSimSession(sim(), {
    mode: 'shadow',
    keys: { apiKey: 'LK', secret: 'LS' },
    symbols: [SYMBOL],
    strategies: createStrategies([{ name: 'market-maker', params: PARAMS }]),
    canaryPercentage: 1,
    store,
    onAlert: (line) => lines.push(line),
  })
  const s = built.exchange!
  let canary: LiveCanary | undefined
  let running: Promise<unknown> | undefined
  try {
    const rollback = attachSessionRollback(s.trader, { store, dataDir: dir, freezeFile: join(dir, 'config', 'online_learning_freeze.json') })
    canary = await attachLiveCanary({ session: s, store, config: parseCanaryConfig(stages, 'test canary.yaml'), rollback, strategies: ['market-maker'], log: (line) => lines.push(line), ...(pollMs !== undefined ? { pollMs } : {}) })
    await onReady?.()
    running = built.start()
    const c = canary
    expect(await waitFor(() => c !== undefined && until(s, c), 30_000, 100), lines.join('\n')).toBe(true)
  } finally {
    canary?.stop()
    built.stop()
    await running
    await built.close()
  }
  return { s, canary: canary!, lines }
}

describe('the canary orchestrator in a session on the local exchange', () => {
  it('takes over the roll-out and progresses shadow → canary-1 → production on the wall clock', async () => {
    const { store, dir } = await prepare()
    try {
      const { s, canary, lines } = await session(store, dir, stagesYaml(90), (x, c) => c.orchestrator?.state?.stage === 'production' && x.router.mode === 'live' && x.router.pausedReason() === undefined)
      expect(canary.orchestrator!.state, JSON.stringify({ state: canary.orchestrator!.state, lines })).toMatchObject({ status: 'running', stage: 'production' })
      expect(canary.orchestrator!.state!.history.map((h) => [h.stage, h.outcome])).toEqual([['shadow', 'progressed'], ['canary-1', 'progressed']])
      const audit = await readAudit(store)
      const types = audit.map((a) => a.type)
      expect(types).toContain('canary.resumed')
      expect(audit.filter((a) => a.type === 'canary.progressed').map((a) => [a.payload['from'], a.payload['to']])).toEqual([['shadow', 'canary-1'], ['canary-1', 'production']])
      expect(audit.filter((a) => a.type === 'mode.changed').map((a) => [a.payload['from'], a.payload['to']])).toEqual([['shadow', 'canary'], ['canary', 'live']])
      expect(audit.find((a) => a.type === 'canary.percentage_changed')?.payload).toMatchObject({ from: 1, to: 50 })
      // Canary orders were half the intent.
      const canaryOrders = audit.filter((a) => a.type === 'canary.order')
      expect(canaryOrders.length).toBeGreaterThan(0)
      for (const o of canaryOrders) expect(Number(o.payload['amount'])).toBeCloseTo(Number(o.payload['intent']) / 2, 10)
      // Live: the ledger is the exchange account from the switch on.
      expect(types, JSON.stringify(types.filter((t) => /^(resync|ledger|mode)/.test(t)))).toContain('resync.completed')
      const stored = await store.getState<CanaryState>(CANARY_STATE_KEY)
      expect(stored).toMatchObject({ status: 'running', stage: 'production', version: 'v2' })
      expect(s.router.mode).toBe('live')
    } finally {
      await store.close()
    }
  }, 60_000)

  it('rolls a version back when canary-1 breaks its drawdown limit: kill switch, last_good, incident, all audited', async () => {
    // The roll-out is started while the session runs (as `sofia canary start` does: a row, no audit record,
    // since the session owns the chain); the session picks it up.
    const { store, dir, rollout } = await prepare(false)
    try {
      const { s, canary } = await session(
        store,
        dir,
        stagesYaml(0.000001),
        (x, c) => c.orchestrator?.state?.status === 'rolled_back' && x.trader.safety.killSwitch.active,
        () => store.write({ state: [{ key: CANARY_STATE_KEY, value: rollout }] }),
      )
      expect(canary.orchestrator!.state).toMatchObject({ status: 'rolled_back', stage: 'canary-1' })
      expect(canary.orchestrator!.state!.history.at(-1)?.failed).toContain('drawdown')
      expect(s.trader.safety.killSwitch.state()).toMatchObject({ active: true, trigger: 'rollback' })
      await waitFor(async () => (await readAudit(store)).some((a) => a.type === 'rollback.completed'), 10_000)
      const audit = await readAudit(store)
      expect(audit.filter((a) => a.type === 'rollback.step').map((a) => a.payload['step'])).toEqual(['stop_trading', 'kill_switch', 'switch_version', 'freeze_learning', 'position_override', 'notify', 'incident'])
      expect(new Set(audit.filter((a) => a.type === 'rollback.step').map((a) => a.payload['trigger']))).toEqual(new Set(['canary']))
      expect(audit.find((a) => a.type === 'canary.failed')?.payload).toMatchObject({ stage: 'canary-1', version: 'v2' })
      const versions = await store.loadStrategyVersions()
      expect(versions.filter((v) => v.strategy === 'market-maker').map((v) => [v.version, v.status])).toEqual([['v1', 'active'], ['v2', 'rolled_back']])
      expect((await store.getState<CanaryState>(CANARY_STATE_KEY))?.status).toBe('rolled_back')
      // The strategy went back to the registry's active version (last_good before the rollback).
      await waitFor(async () => (await readAudit(store)).some((a) => a.type === 'strategy.version_applied' && a.payload['version'] === 'v1'), 10_000)
      expect((await readAudit(store)).filter((a) => a.type === 'strategy.version_applied').map((a) => a.payload['version'])).toEqual(['v2', 'v1'])
      // The kill switch cancelled the canary's copies too: nothing of ours is left working on the exchange.
      const orders = await control<{ clientOrderId: string; status: string }[]>(sim(), 'GET', '/sim/orders?apiKey=LK')
      expect(orders.length).toBeGreaterThan(0)
      expect(orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).toEqual([])
    } finally {
      await store.close()
    }
  }, 60_000)

  it("runs the rolled-out version's parameters, and a stage jump to the runbook's canary_1 takes effect within the 5 s poll", async () => {
    // The session quotes 0.002; v2 is registered with 0.008 (and 60 bps). In canary-1 (50%) the exchange must
    // see v2's half, 0.004 — never the session's half, 0.001.
    const { store, dir } = await prepare(true, { ...PARAMS, amount: '0.008', spreadBps: '60' })
    const stayInShadow = `evaluate_every: 1h
criteria: { slippage_ratio_max: 1000, fill_rate_min_ratio: 0 }
stages:
  - { name: shadow, capital_pct: 0, min_duration: 10m }
  - { name: canary-1, capital_pct: 50, min_duration: 10m, max_drawdown_pct: 90, pnl_deviation_pct: 1000 }
  - { name: production, capital_pct: 100, min_duration: ongoing, max_drawdown_pct: 90, pnl_deviation_pct: 1000 }
`
    let jumpedAt: number | undefined
    let inEffectAt: number | undefined
    try {
      const { lines } = await session(
        store,
        dir,
        stayInShadow,
        (x, c) => {
          if (jumpedAt === undefined && c.orchestrator?.state?.stage === 'shadow' && x.router.mode === 'shadow') {
            jumpedAt = Date.now()
            // What `sofia canary start canary_1` writes while a session runs (the stage name canonical).
            const now = Date.now()
            void store.write({ state: [{ key: CANARY_STATE_KEY, value: { strategy: 'market-maker', version: 'v2', status: 'running', stage: 'canary-1', stageStartedAt: now, startedAt: now, history: [] } satisfies CanaryState }] })
          }
          if (inEffectAt === undefined && jumpedAt !== undefined && x.router.mode === 'canary') inEffectAt = Date.now()
          return inEffectAt !== undefined && Date.now() - inEffectAt > 3_000
        },
        undefined,
        undefined, // the default poll: the 5 s an operator gets
      )
      const latency = inEffectAt! - jumpedAt!
      console.log(`stage jump in effect after ${latency} ms`)
      expect(latency, lines.join('\n')).toBeLessThan(10_000) // the 5 s poll, with room for a loaded machine
      const orders = (await control<{ origQty: string; price: string; side: string; time: number }[]>(sim(), 'GET', '/sim/orders?apiKey=LK')).filter((o) => o.time >= jumpedAt!)
      expect(orders.length, lines.join('\n')).toBeGreaterThan(0)
      expect(new Set(orders.map((o) => Number(o.origQty)))).toEqual(new Set([0.004]))
      const audit = await readAudit(store)
      expect(audit.find((a) => a.type === 'strategy.version_applied')?.payload).toMatchObject({ strategy: 'market-maker', version: 'v2', params: { amount: '0.008', spreadBps: '60' } })
    } finally {
      await store.close()
    }
  }, 60_000)
})

import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../store/index.js'
import { ArtifactMismatch, StrategyRegistry, ValidationFailed, strategyCodeHash } from './registry.js'
import { storeSink } from './sink.js'
import type { ValidationReport } from './validation.js'
import { OnlineUpdateGate } from './drift.js'
import { writeFreeze } from './freeze.js'
import { DEFAULT_STAGES, parseCanaryConfig } from './stages.js'

const P = { fast: '5', slow: '20' }
const report = (passed: boolean): ValidationReport =>
  ({ strategy: 'sma-cross', params: P, passed, failed: passed ? [] : ['pbo'], criteria: [] }) as unknown as ValidationReport

async function setup(): Promise<{ store: MemoryStore; reg: StrategyRegistry }> {
  const store = new MemoryStore()
  return { store, reg: new StrategyRegistry(storeSink(store, () => 1_000)) }
}

describe('strategy registry', () => {
  it('keeps one active and one last_good through promotions and a rollback', async () => {
    const { store, reg } = await setup()
    for (const v of ['v1', 'v2', 'v3']) await reg.register({ strategy: 'sma-cross', version: v, params: P, validation: report(true) }, 'operator:t')
    await reg.promote('sma-cross', 'v1', 'operator:t')
    await reg.promote('sma-cross', 'v2', 'operator:t')
    await reg.promote('sma-cross', 'v3', 'operator:t')
    const status = async (): Promise<Record<string, string>> => Object.fromEntries((await reg.list('sma-cross')).map((v) => [v.version, v.status]))
    expect(await status()).toEqual({ v1: 'retired', v2: 'last_good', v3: 'active' })
    const r = await reg.rollback('sma-cross', 'operator:t', 'bad fills')
    expect(r).toEqual({ from: 'v3', to: 'v2', lastGood: 'v1' })
    expect(await status()).toEqual({ v1: 'last_good', v2: 'active', v3: 'rolled_back' })
    const all = await reg.list('sma-cross')
    expect(all.filter((v) => v.status === 'active')).toHaveLength(1)
    expect(all.filter((v) => v.status === 'last_good')).toHaveLength(1)
    await expect(reg.promote('sma-cross', 'v3', 'operator:t')).rejects.toThrow(/rolled back/)
    const types: string[] = []
    for await (const b of store.iterateAudit()) for (const a of b) types.push(a.type)
    expect(types).toEqual(['registry.registered', 'registry.registered', 'registry.registered', 'registry.promoted', 'registry.promoted', 'registry.promoted', 'registry.rolled_back'])
  })

  it('register needs a passing validation unless skipped with a reason (audited)', async () => {
    const { store, reg } = await setup()
    await expect(reg.register({ strategy: 'sma-cross', version: 'v1', params: P }, 'operator:t')).rejects.toThrow(/passing validation/)
    await expect(reg.register({ strategy: 'sma-cross', version: 'v1', params: P, validation: report(false) }, 'operator:t')).rejects.toBeInstanceOf(ValidationFailed)
    await expect(reg.register({ strategy: 'sma-cross', version: 'v1', params: { fast: '6', slow: '20' }, validation: report(true) }, 'operator:t')).rejects.toThrow(/other parameters/)
    await expect(reg.register({ strategy: 'sma-cross', version: 'v1', params: P, skipValidation: { reason: ' ' } }, 'operator:t')).rejects.toThrow(/--reason/)
    const v = await reg.register({ strategy: 'sma-cross', version: 'v1', params: P, skipValidation: { reason: 'hotfix' } }, 'operator:t')
    expect(v.validation).toEqual({ skipped: true, reason: 'hotfix', actor: 'operator:t' })
    expect(v.codeHash).toBe(strategyCodeHash('sma-cross').sha256)
    expect(v.codeHash).toMatch(/^[0-9a-f]{64}$/)
    await expect(reg.register({ strategy: 'sma-cross', version: 'v1', params: P, skipValidation: { reason: 'again' } }, 'operator:t')).rejects.toThrow(/already registered/)
    const types: string[] = []
    for await (const b of store.iterateAudit()) for (const a of b) types.push(a.type)
    expect(types).toEqual(['registry.registered', 'registry.validation_skipped'])
  })

  it('verifies the model artifact checksum on promotion and rollback', async () => {
    const { reg } = await setup()
    const dir = mkdtempSync(join(tmpdir(), 'sofia-artifact-'))
    const model = join(dir, 'model.bin')
    writeFileSync(model, 'weights v1')
    const v = await reg.register({ strategy: 'sma-cross', version: 'm1', params: P, artifact: model, validation: report(true) }, 'operator:t')
    expect(v.artifact?.sha256).toBe(createHash('sha256').update('weights v1').digest('hex'))
    expect(v.artifact?.bytes).toBe(10)
    await reg.register({ strategy: 'sma-cross', version: 'm2', params: P, validation: report(true) }, 'operator:t')
    await reg.promote('sma-cross', 'm1', 'operator:t')
    await reg.promote('sma-cross', 'm2', 'operator:t')
    writeFileSync(model, 'tampered')
    await expect(reg.rollback('sma-cross', 'operator:t', 'x')).rejects.toBeInstanceOf(ArtifactMismatch)
    expect((await reg.active('sma-cross'))?.version).toBe('m2')
    writeFileSync(model, 'weights v1')
    await expect(reg.rollback('sma-cross', 'operator:t', 'x')).resolves.toMatchObject({ to: 'm1' })
  })
})

describe('online update gate', () => {
  it('throttles to N per hour and refuses while frozen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-freeze-'))
    const file = join(dir, 'config', 'online_learning_freeze.json')
    const gate = new OnlineUpdateGate({ maxPerHour: 2, freezeFile: file })
    expect(gate.request('m', 0).ok).toBe(true)
    expect(gate.request('m', 1_000).ok).toBe(true)
    expect(gate.request('m', 2_000)).toMatchObject({ ok: false, code: 'THROTTLED' })
    expect(gate.request('m', 3_600_001).ok).toBe(true)
    writeFreeze(file, { frozen: true, since: '2024-01-01T00:00:00.000Z', reason: 'rollback' })
    expect(gate.request('m', 9_000_000)).toMatchObject({ ok: false, code: 'FROZEN' })
  })
})

describe('canary.yaml', () => {
  it('defaults to the runbook table and names the key of an error', () => {
    expect(DEFAULT_STAGES.map((s) => [s.name, s.capitalPct, s.minDurationMs === undefined ? 'ongoing' : s.minDurationMs / 86_400_000, s.maxDrawdownPct, s.pnlDeviationPct])).toEqual([
      ['shadow', 0, 30, undefined, undefined],
      ['canary-1', 1, 7, 2, 10],
      ['canary-2', 5, 14, 3, 10],
      ['production', 100, 'ongoing', 10, 15],
    ])
    expect(() => parseCanaryConfig('stages:\n  - { name: a, capital_pct: 150, min_duration: 1d }\n', 'c.yaml')).toThrow('c.yaml: stages[0].capital_pct: expected a number from 0 to 100, got 150')
    expect(() => parseCanaryConfig('stages:\n  - { name: a, capital_pct: 1, min_duration: ongoing }\n  - { name: b, capital_pct: 2, min_duration: 1d }\n', 'c.yaml')).toThrow(/only the last stage may be ongoing/)
    expect(() => parseCanaryConfig('criteria: { slipage: 1 }\n', 'c.yaml')).toThrow(/criteria.slipage: unknown key/)
  })
})

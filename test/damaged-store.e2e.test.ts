/**
 * End-to-end: a damaged store is refused, never taken as new. A 0-byte `sofia.db` (a truncation, a failed
 * copy) makes every command that opens it exit 2 with one line, and a session does not start on it — before,
 * `status` reported "kill switch: inactive, positions: flat" and a session restarted its order sequences.
 * A new store is created whole, so a crash while creating one never leaves such a file behind.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStore } from '../src/store/index.js'
import { sofia } from './helpers.js'

describe('a damaged store', () => {
  it.each([
    ['status', []],
    ['audit', ['verify']],
    ['kill-switch', ['status']],
    ['paper', ['--duration', '1']],
  ])('a 0-byte sofia.db: `sofia %s` exits 2 with one line naming the file', (command, args) => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-empty-'))
    writeFileSync(join(dir, 'sofia.db'), '')
    const r = sofia([command, ...args, '--data-dir', dir], { cwd: dir, timeoutMs: 60_000 })
    expect(r.code, r.stdout + r.stderr).toBe(2)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/sofia\.db is empty \(0 bytes\): refusing/)
  })

  it('a new store is created whole: the file appears only migrated, with no temporary left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-new-'))
    const store = await openStore({ dataDir: dir })
    expect(await store.schemaVersion()).toBeGreaterThan(0)
    await store.close()
    expect(existsSync(join(dir, 'sofia.db'))).toBe(true)
    expect(readdirSync(dir).filter((f) => f.includes('creating'))).toEqual([])
    // And reopened as the store it is.
    const again = await openStore({ dataDir: dir, create: false })
    expect(await again.schemaVersion()).toBeGreaterThan(0)
    await again.close()
  })
})

describe('where the store is', () => {
  it('honours dataDir from sofia.yaml (below --data-dir and SOFIA_HOME)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-cfgdir-'))
    writeFileSync(join(dir, 'sofia.yaml'), 'dataDir: ./dd\n')
    const r = sofia(['paper', '--duration', '1'], { cwd: dir, timeoutMs: 60_000, env: { SOFIA_HOME: '' } })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(join(dir, 'dd', 'sofia.db'))).toBe(true)
    expect(existsSync(join(dir, 'var'))).toBe(false)
    const status = sofia(['status'], { cwd: dir, env: { SOFIA_HOME: '' } })
    expect(status.code, status.stderr).toBe(0)
  })

  it('honours audit.keyFile and audit.headsFile from sofia.yaml (below SOFIA_AUDIT_KEY / SOFIA_AUDIT_HEADS)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-cfgkey-'))
    writeFileSync(join(dir, 'sofia.yaml'), 'dataDir: ./dd\naudit:\n  keyFile: ./keys/audit.pem\n  headsFile: ./heads/h.jsonl\n')
    const env = { SOFIA_HOME: '', SOFIA_AUDIT_KEY: '', SOFIA_AUDIT_HEADS: '' }
    const r = sofia(['paper', '--duration', '1'], { cwd: dir, timeoutMs: 60_000, env })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(join(dir, 'keys', 'audit.pem'))).toBe(true)
    expect(existsSync(join(dir, 'heads', 'h.jsonl'))).toBe(true)
    const verify = sofia(['audit', 'verify', '--json'], { cwd: dir, env })
    expect(verify.code, verify.stdout).toBe(0)
    expect((JSON.parse(verify.stdout) as { anchors: { signedHeads: number; trustedKeys: string[] } }).anchors).toMatchObject({ signedHeads: 1 })
  })
})

describe('bad usage is one line and exit 2', () => {
  it.each([
    [['status', '--bogus'], /^sofia: unknown option '--bogus' \(run with --help for usage\)$/],
    [['kill-switch', 'activate'], /^sofia: required option '--reason <text>' not specified/],
    [['risk', 'override', '--multiplier', '5'], /^sofia: --multiplier: expected a number from 0 to 1, got "5"$/],
  ])('sofia %j', (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-usage-'))
    const r = sofia([...args, '--data-dir', dir], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
  })
})

/**
 * `sofia backup`: a snapshot taken while nothing is running restores to the same chain; a backup with a
 * changed byte or a rewritten chain is refused and the live database is left alone.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, sofia } from './helpers.js'

function paperSession(dataDir: string, env: Record<string, string> = {}): void {
  const r = sofia(['paper', '--data-dir', dataDir, '--duration', '1.5', '--step-ms', '5', '--json'], { env })
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
}

function auditHead(args: string[], env: Record<string, string> = {}): { count: number; head: { seq: number; hash: string } } {
  const r = sofia(['audit', 'verify', '--json', ...args], { env })
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as { count: number; head: { seq: number; hash: string } }
}

describe('sofia backup (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sofia-bk-'))
  const out = join(mkdtempSync(join(tmpdir(), 'sofia-bk-out-')), 'b1')
  let head: { count: number; head: { seq: number; hash: string } }

  beforeAll(() => {
    paperSession(dataDir)
    head = auditHead(['--data-dir', dataDir])
  })

  it('creates a snapshot with a manifest, checksums and the chain head', () => {
    const r = sofia(['backup', 'create', '--data-dir', dataDir, '--out', out, '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const manifest = JSON.parse(r.stdout) as { audit: { count: number; head: { hash: string } }; files: { path: string; sha256: string }[] }
    expect(manifest.audit.count).toBe(head.count)
    expect(manifest.audit.head.hash).toBe(head.head.hash)
    expect(manifest.files.map((f) => f.path)).toContain('sofia.db')
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}sofia\.db$/m)
    expect(sofia(['backup', 'check', out]).code).toBe(0)
  })

  it('restores over a later state, keeping the replaced database, and the chain is the backed-up one', () => {
    paperSession(dataDir) // the live store moves on after the backup
    expect(auditHead(['--data-dir', dataDir]).count).toBeGreaterThan(head.count)
    const r = sofia(['backup', 'restore', out, '--data-dir', dataDir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/the replaced database is kept at .*before-restore/)
    expect(readdirSync(dataDir).some((f) => f.startsWith('sofia.db.before-restore-'))).toBe(true)
    expect(auditHead(['--data-dir', dataDir])).toEqual(head)
  })

  it('refuses a backup with a changed byte, naming the file, and leaves the live database alone', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sofia-bk-bad-')), 'b')
    expect(sofia(['backup', 'create', '--data-dir', dataDir, '--out', bad]).code).toBe(0)
    const db = readFileSync(join(bad, 'sofia.db'))
    db[db.length - 100] = db[db.length - 100]! ^ 0xff
    writeFileSync(join(bad, 'sofia.db'), db)
    const before = readFileSync(join(dataDir, 'sofia.db'))
    const check = sofia(['backup', 'check', bad])
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/sofia\.db: checksum mismatch/)
    const r = sofia(['backup', 'restore', bad, '--data-dir', dataDir])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^sofia: refusing backup .*: sofia\.db: checksum mismatch/)
    expect(readFileSync(join(dataDir, 'sofia.db')).equals(before)).toBe(true)
  })

  it('refuses a backup whose chain was rewritten even when its checksums were updated to match', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sofia-bk-chain-')), 'b')
    expect(sofia(['backup', 'create', '--data-dir', dataDir, '--out', bad]).code).toBe(0)
    const db = new Database(join(bad, 'sofia.db'))
    db.prepare("UPDATE audit SET payload = replace(payload, '\"system\"', '\"sistem\"'), actor = 'operator:mallory' WHERE seq = 3").run()
    db.close()
    for (const f of readdirSync(bad)) if (/-(wal|shm)$/.test(f)) throw new Error(`left ${f}`)
    const sha = execFileSync('sha256sum', [join(bad, 'sofia.db')], { encoding: 'utf8' }).split(' ')[0]!
    const manifestPath = join(bad, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] }
    manifest.files = manifest.files.map((f) => (f.path === 'sofia.db' ? { ...f, sha256: sha } : f))
    writeFileSync(manifestPath, JSON.stringify(manifest))
    const check = sofia(['backup', 'check', bad])
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/sofia\.db: audit chain broken at seq 3/)
    expect(sofia(['backup', 'restore', bad, '--data-dir', dataDir]).code).toBe(1)
  })

  it('leaves every secret of sofia.yaml and the alert rules out of the backup, and says so', () => {
    // Configured as the README says: sofia.example.yaml → sofia.yaml, config/alerts.example.yaml → config/alerts.yaml.
    const home = mkdtempSync(join(tmpdir(), 'sofia-bk-secrets-'))
    const secrets = { apiKey: 'AKIAbackupkey0001', apiSecret: 'backup-secret-0002', db: 'hunter2pass', slack: 'T9/B9/slacksecret0003', bearer: 'webhook-bearer-0004' }
    const example = readFileSync(join(REPO, 'sofia.example.yaml'), 'utf8')
    writeFileSync(
      join(home, 'sofia.yaml'),
      `${example}\nexchange:\n  id: binance\n  apiKey: ${secrets.apiKey}\n  apiSecret: ${secrets.apiSecret}\n`.replace(/^mode: .*$/m, 'mode: paper'),
    )
    mkdirSync(join(home, 'config'))
    writeFileSync(
      join(home, 'config', 'alerts.yaml'),
      readFileSync(join(REPO, 'config', 'alerts.example.yaml'), 'utf8').replace('T000/B000/XXXXXXXX', secrets.slack).replace("'Bearer change-me'", `'Bearer ${secrets.bearer}'`),
    )
    const out = join(home, 'backup')
    const r = sofia(['backup', 'create', '--data-dir', dataDir, '--out', out, '--json'], { cwd: home })
    expect(r.code, r.stderr).toBe(0)
    const warnings = r.stderr.trim().split('\n')
    expect(warnings).toEqual([
      expect.stringMatching(/^sofia: backup: redacted 5 secrets in config-files\/config\/alerts\.yaml \(notifiers\.webhook\.url, .*\); keep them elsewhere$/),
      'sofia: backup: redacted 2 secrets in config-files/sofia.yaml (exchange.apiKey, exchange.apiSecret); keep them elsewhere',
    ])
    // Nothing in the backup holds any of them.
    for (const file of readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      const bytes = readFileSync(join(file.parentPath, file.name))
      for (const secret of Object.values(secrets)) expect(bytes.includes(secret), `${file.name} holds ${secret}`).toBe(false)
    }
    expect(sofia(['backup', 'check', out]).code).toBe(0)
  })

  it('says what is wrong with a directory that is not a backup (exit 2)', () => {
    const r = sofia(['backup', 'check', dataDir])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe(`sofia: ${dataDir} is not a Sofia backup (no manifest.json)`)
  })
})

const PG_URL = process.env['DATABASE_URL']
describe.skipIf(PG_URL === undefined)(`sofia backup (PostgreSQL${PG_URL === undefined ? ': skipped, DATABASE_URL not set' : ''})`, () => {
  // A database of its own: pg_restore --clean must not touch the schemas other suites use.
  const dbName = `sofia_backup_test_${process.pid}`
  let url = ''
  const admin = (): pg.Client => new pg.Client({ connectionString: PG_URL })

  beforeAll(async () => {
    const c = admin()
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${dbName}`)
    await c.query(`CREATE DATABASE ${dbName}`)
    await c.end()
    const u = new URL(PG_URL!)
    u.pathname = `/${dbName}`
    url = u.toString()
  })

  afterAll(async () => {
    const c = admin()
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await c.end()
  })

  it('dumps with pg_dump and restores with pg_restore to the same chain', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-pgbk-'))
    // The data directory holds the audit heads file of the PostgreSQL store: every command uses the same one.
    const env = { DATABASE_URL: url, SOFIA_HOME: dataDir }
    paperSession(dataDir, env)
    const head = auditHead([], env)
    const out = join(dataDir, 'backup')
    const r = sofia(['backup', 'create', '--out', out, '--json'], { env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(existsSync(join(out, 'sofia.pgdump'))).toBe(true)
    paperSession(dataDir, env)
    expect(auditHead([], env).count).toBeGreaterThan(head.count)
    const restore = sofia(['backup', 'restore', out], { env })
    expect(restore.stderr).toBe('')
    expect(restore.code).toBe(0)
    expect(auditHead([], env)).toEqual(head)
  })
})

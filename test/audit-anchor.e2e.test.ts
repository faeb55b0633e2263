/**
 * Signed, anchored heads, tried the way an intruder with write access to the database would: delete the tail,
 * delete everything from a record on, edit a record and re-hash the chain with Sofia's own hashing code (with
 * and without fixing the checkpoints), and finally rewrite everything and delete the heads file too. Each is
 * found by `sofia audit verify` (exit 1, naming what is missing or rewritten); the last only with the head an
 * operator kept elsewhere (`sofia audit head` → `verify --head FILE`).
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { bodyText, chainHash, GENESIS_HASH, jsonText, recordBody } from '../src/chain/record.js'
import { sofia } from './helpers.js'

interface Verify {
  ok: boolean
  count: number
  anchors?: { ok: boolean; problems: string[]; notes: string[]; signedHeads: number; newest: { seq: number } | null; trustedKeys: string[] }
}

const keyDir = mkdtempSync(join(tmpdir(), 'sofia-anchor-key-'))
const env = { SOFIA_AUDIT_KEY: join(keyDir, 'audit.pem') }

function verify(dataDir: string, extra: string[] = [], e: Record<string, string> = env): { code: number; out: Verify; stderr: string } {
  const r = sofia(['audit', 'verify', '--data-dir', dataDir, '--json', ...extra], { env: e })
  return { code: r.code, out: JSON.parse(r.stdout) as Verify, stderr: r.stderr }
}

/** A copy of the reference data directory, to damage. */
function copyOf(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-anchor-'))
  for (const f of ['sofia.db', 'audit-heads.jsonl']) copyFileSync(join(source, f), join(dir, f))
  return dir
}

/** Rewrites record `seq`'s payload and re-hashes every record from it on, as an intruder with the code would. */
function rehashFrom(file: string, seq: number, edit: (payload: Record<string, unknown>) => void, fixCheckpoints: boolean): void {
  const db = new Database(file)
  const rows = db.prepare('SELECT seq, ts, type, actor, payload, prev_hash FROM audit WHERE seq >= ? ORDER BY seq').all(seq) as {
    seq: number
    ts: number
    type: string
    actor: string
    payload: string
    prev_hash: string
  }[]
  const update = db.prepare('UPDATE audit SET payload = ?, body = NULL, prev_hash = ?, hash = ? WHERE seq = ?')
  let prev = rows[0]!.prev_hash ?? GENESIS_HASH
  db.transaction(() => {
    for (const r of rows) {
      const payload = JSON.parse(r.payload) as Record<string, unknown>
      if (r.seq === seq) edit(payload)
      // The intruder points each checkpoint at the new hash of the record before it (the signature stays).
      if (fixCheckpoints && r.type === 'audit.checkpoint') payload['hash'] = prev
      const text = JSON.stringify(Object.fromEntries(Object.entries(payload).sort(([a], [b]) => (a < b ? -1 : 1))))
      const hash = chainHash(prev, bodyText(r.seq, r.ts, jsonText(r.type), jsonText(r.actor), text))
      update.run(text, prev, hash, r.seq)
      prev = hash
    }
  })()
  db.close()
}

function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true })
}

describe('signed, anchored audit heads', () => {
  const ref = mkdtempSync(join(tmpdir(), 'sofia-anchor-ref-'))
  let count = 0
  let checkpoints: number[] = []
  let fillSeq = 0

  beforeAll(() => {
    // Two sessions: each signs its head at least when it stops (and every 1,000 records).
    for (const seed of ['1', '2']) {
      const r = sofia(['paper', '--data-dir', ref, '--duration', '2', '--step-ms', '5', '--seed', seed], { env })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    }
    const db = new Database(join(ref, 'sofia.db'), { readonly: true })
    count = (db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n
    checkpoints = (db.prepare("SELECT seq FROM audit WHERE type = 'audit.checkpoint' ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq)
    fillSeq = (db.prepare("SELECT seq FROM audit WHERE type = 'fill' ORDER BY seq LIMIT 1").get() as { seq: number }).seq
    db.close()
  }, 120_000)

  it('verifies an untouched chain: every signature checks, the chain reaches every remembered head', () => {
    expect(checkpoints.length).toBeGreaterThanOrEqual(2)
    expect(checkpoints[checkpoints.length - 1]).toBe(count)
    const { code, out } = verify(ref)
    expect(code).toBe(0)
    expect(out.ok).toBe(true)
    expect(out.anchors?.problems).toEqual([])
    expect(out.anchors?.signedHeads).toBe(checkpoints.length)
    expect(out.anchors?.trustedKeys).toHaveLength(1)
    const human = sofia(['audit', 'verify', '--data-dir', ref], { env })
    expect(human.stdout).toMatch(/signed heads: \d+, the newest for seq \d+/)
  })

  it('checks the signed heads an export carries (verify --file), and finds an export re-hashed with Sofia’s code', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sofia-anchor-export-')), 'all.jsonl')
    const exported = sofia(['audit', 'export', '--out', out, '--data-dir', ref], { env })
    expect(exported.code, exported.stderr).toBe(0)
    const honest = sofia(['audit', 'verify', '--file', out, '--json'], { env })
    expect(honest.code).toBe(0)
    const h = JSON.parse(honest.stdout) as Verify
    expect(h.anchors?.problems).toEqual([])
    expect(h.anchors?.signedHeads).toBe(checkpoints.length)
    expect(h.anchors?.trustedKeys).toHaveLength(1)
    // The intruder edits a fill in the export, re-hashes every record after it and re-points the checkpoints.
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; ts: number; type: string; actor: string; payload: Record<string, unknown>; prevHash: string; hash: string })
    let prev = GENESIS_HASH
    for (const r of records) {
      if (r.seq === fillSeq) r.payload['price'] = '1.00'
      if (r.seq >= fillSeq) {
        if (r.type === 'audit.checkpoint') r.payload['hash'] = prev
        r.prevHash = prev
        r.hash = chainHash(prev, recordBody(r))
      }
      prev = r.hash
    }
    const forged = join(mkdtempSync(join(tmpdir(), 'sofia-anchor-forged-export-')), 'all.jsonl')
    writeFileSync(forged, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const caught = sofia(['audit', 'verify', '--file', forged, '--json'], { env })
    expect(caught.code).toBe(1)
    const c = JSON.parse(caught.stdout) as Verify
    expect(c.count).toBe(count) // every link holds: only the signatures tell
    expect(c.anchors?.problems.join('\n')).toMatch(/signature does not verify/)
  })

  it('finds the last 50 records deleted', () => {
    const dir = copyOf(ref)
    const db = new Database(join(dir, 'sofia.db'))
    db.prepare('DELETE FROM audit WHERE seq > ?').run(count - 50)
    db.close()
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.ok).toBe(false)
    expect(out.anchors?.problems.join('\n')).toMatch(new RegExp(`chain ends at seq ${count - 50}: records ${count - 49}–\\d+ at least are missing`))
  })

  it('finds everything deleted from a record on (here the first signed head and all after it)', () => {
    const dir = copyOf(ref)
    const db = new Database(join(dir, 'sofia.db'))
    db.prepare('DELETE FROM audit WHERE seq >= ?').run(checkpoints[0]! - 5)
    db.close()
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.anchors?.problems.length).toBeGreaterThanOrEqual(checkpoints.length)
  })

  it('finds a record edited and the chain re-hashed with Sofia’s own code', () => {
    const dir = copyOf(ref)
    rehashFrom(join(dir, 'sofia.db'), fillSeq, (p) => (p['price'] = '1.00'), false)
    // The links are intact: only the signatures can tell.
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.count).toBe(count)
    expect(out.anchors?.problems.join('\n')).toMatch(/checkpoint at seq \d+: it signs seq \d+ hash .*the chain was rewritten/)
  })

  it('finds the checkpoints re-pointed at the re-hashed records: their signatures no longer verify', () => {
    const dir = copyOf(ref)
    rehashFrom(join(dir, 'sofia.db'), fillSeq, (p) => (p['price'] = '1.00'), true)
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.anchors?.problems.join('\n')).toMatch(/signature does not verify/)
  })

  it('finds everything rewritten and the heads file deleted, given the head the operator kept', () => {
    const kept = join(mkdtempSync(join(tmpdir(), 'sofia-anchor-kept-')), 'heads.jsonl')
    const head = sofia(['audit', 'head', '--data-dir', ref], { env })
    expect(head.code).toBe(0)
    writeFileSync(kept, head.stdout)
    const dir = copyOf(ref)
    // The intruder removes every checkpoint and re-hashes from the edit on, then deletes the heads file.
    const db = new Database(join(dir, 'sofia.db'))
    db.prepare('DELETE FROM audit WHERE seq > ?').run(count - 1)
    db.close()
    rehashFrom(join(dir, 'sofia.db'), fillSeq, (p) => (p['price'] = '1.00'), true)
    rmSync(join(dir, 'audit-heads.jsonl'))
    const { code, out } = verify(dir, ['--head', kept])
    expect(code).toBe(1)
    expect(out.anchors?.problems.join('\n')).toMatch(/heads\.jsonl:1: a head signed at .* for seq \d+, but the chain ends at seq/)
  })

  it('refuses the heads file missing while the chain holds signed heads', () => {
    const dir = copyOf(ref)
    rmSync(join(dir, 'audit-heads.jsonl'))
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.anchors?.problems[0]).toMatch(/heads file .* is missing, but the chain holds \d+ signed heads/)
  })

  it('finds a chain signed by a key that is not ours', () => {
    const other = { SOFIA_AUDIT_KEY: join(mkdtempSync(join(tmpdir(), 'sofia-anchor-other-')), 'audit.pem') }
    const dir = copyOf(ref)
    // Another machine's key signs the next session's heads.
    const r = sofia(['paper', '--data-dir', dir, '--duration', '1', '--step-ms', '5'], { env: other })
    expect(r.code).toBe(0)
    const { code, out } = verify(dir)
    expect(code).toBe(1)
    expect(out.anchors?.problems.join('\n')).toMatch(/signed by key [0-9a-f]{16}, which is not a trusted key/)
  })

  it('refuses a backup rewritten and re-hashed with its checksums and manifest recomputed; restores an honest one', () => {
    const live = copyOf(ref)
    const out = join(mkdtempSync(join(tmpdir(), 'sofia-anchor-bk-')), 'b')
    const created = sofia(['backup', 'create', '--data-dir', live, '--out', out, '--json'], { env })
    expect(created.code).toBe(0)
    expect(sofia(['backup', 'check', out], { env }).code).toBe(0)

    // The intruder edits a fill in the backup, re-hashes the chain, re-points the checkpoints and recomputes
    // every checksum and the manifest's head.
    const forged = join(mkdtempSync(join(tmpdir(), 'sofia-anchor-forged-')), 'b')
    copyDir(out, forged)
    rehashFrom(join(forged, 'sofia.db'), fillSeq, (p) => (p['price'] = '1.00'), true)
    const manifest = JSON.parse(readFileSync(join(forged, 'manifest.json'), 'utf8')) as {
      audit: { head: { seq: number; hash: string } }
      files: { path: string; bytes: number; sha256: string }[]
    }
    const db = new Database(join(forged, 'sofia.db'), { readonly: true })
    manifest.audit.head.hash = (db.prepare('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { hash: string }).hash
    db.close()
    for (const f of manifest.files) {
      const bytes = readFileSync(join(forged, f.path))
      f.bytes = bytes.length
      f.sha256 = createHash('sha256').update(bytes).digest('hex')
    }
    writeFileSync(join(forged, 'manifest.json'), JSON.stringify(manifest, null, 2))
    writeFileSync(join(forged, 'SHA256SUMS'), manifest.files.map((f) => `${f.sha256}  ${f.path}\n`).join(''))

    const check = sofia(['backup', 'check', forged, '--json'], { env })
    expect(check.code).toBe(1)
    expect((JSON.parse(check.stdout) as { problems: string[] }).problems.join('\n')).toMatch(/audit proof: .*signature does not verify/)
    const before = readFileSync(join(live, 'sofia.db'))
    const restore = sofia(['backup', 'restore', forged, '--data-dir', live], { env })
    expect(restore.code).toBe(1)
    expect(restore.stderr).toMatch(/^sofia: refusing backup .*audit proof/)
    expect(readFileSync(join(live, 'sofia.db')).equals(before)).toBe(true)

    // The honest backup restores, heads file and all, and the restored chain verifies against it.
    expect(sofia(['paper', '--data-dir', live, '--duration', '1', '--step-ms', '5'], { env }).code).toBe(0)
    const restored = sofia(['backup', 'restore', out, '--data-dir', live], { env })
    expect(restored.stderr).toBe('')
    expect(restored.code).toBe(0)
    const after = verify(live)
    expect(after.code).toBe(0)
    expect(after.out.count).toBe(count)
  })

  it('follows a key rotation: the chain verifies with the new key alone, or with the old public key', () => {
    const dir = copyOf(ref)
    const keys = mkdtempSync(join(tmpdir(), 'sofia-anchor-rot-'))
    const rotEnv = { SOFIA_AUDIT_KEY: join(keys, 'audit.pem') }
    copyFileSync(env.SOFIA_AUDIT_KEY, rotEnv.SOFIA_AUDIT_KEY)
    copyFileSync(`${env.SOFIA_AUDIT_KEY}.pub`, `${rotEnv.SOFIA_AUDIT_KEY}.pub`)
    const rot = sofia(['audit', 'rotate-key', '--data-dir', dir, '--json'], { env: rotEnv })
    expect(rot.stderr).toBe('')
    expect(rot.code).toBe(0)
    const { previousKeyId, keyId } = JSON.parse(rot.stdout) as { previousKeyId: string; keyId: string }
    expect(keyId).not.toBe(previousKeyId)
    expect(sofia(['paper', '--data-dir', dir, '--duration', '1', '--step-ms', '5'], { env: rotEnv }).code).toBe(0)
    const withNew = verify(dir, [], rotEnv)
    expect(withNew.code).toBe(0)
    expect(new Set(withNew.out.anchors?.trustedKeys)).toEqual(new Set([keyId, previousKeyId]))
    // An auditor holding only the old public key follows the rotation forward.
    const auditor = { SOFIA_AUDIT_KEY: join(keys, 'absent.pem') }
    const withOld = verify(dir, ['--public-key', `${env.SOFIA_AUDIT_KEY}.pub`], auditor)
    expect(withOld.code).toBe(0)
    expect(new Set(withOld.out.anchors?.trustedKeys)).toEqual(new Set([keyId, previousKeyId]))
  })
})

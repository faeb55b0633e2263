/**
 * A page-corruption sweep: a real store of at least 1,500 audit records (paper sessions through the CLI), then,
 * one page at a time, 64 bytes flipped at a seeded random place in that page. For every damaged copy:
 * - SQLite's own `PRAGMA integrity_check` says whether the database is broken;
 * - Sofia opens it as a session does (the full check on open) and as `audit verify` does (the full check in
 *   a worker beside the chain scan), then verifies the chain and its signed heads; both refuse the same copies.
 * Every broken database is refused; no copy verifies as intact with fewer records, or with another head.
 */
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { AuditKey, verifySqliteAudit, verifyStore } from '../src/audit/index.js'
import { Prng } from '../src/engine/index.js'
import { openStore } from '../src/store/index.js'
import { sofia } from './helpers.js'

const FLIP = 64

describe('page-corruption sweep', () => {
  it('refuses every broken database and never reports a damaged chain as intact', async () => {
    const ref = mkdtempSync(join(tmpdir(), 'sofia-pages-'))
    let count = 0
    for (let seed = 1; seed <= 8 && count < 1_500; seed++) {
      const r = sofia(['paper', '--data-dir', ref, '--duration', '3', '--step-ms', '5', '--seed', String(seed)])
      expect(r.code).toBe(0)
      count = JSON.parse(sofia(['audit', 'verify', '--data-dir', ref, '--json']).stdout).count as number
    }
    expect(count).toBeGreaterThanOrEqual(1_500)
    const original = await verifySqliteAudit(join(ref, 'sofia.db'))
    if (!original.ok) throw new Error('the reference chain does not verify')
    const key = AuditKey.read(process.env['SOFIA_AUDIT_KEY']!)

    const bytes = readFileSync(join(ref, 'sofia.db'))
    const probe = new Database(join(ref, 'sofia.db'), { readonly: true })
    const pageSize = probe.pragma('page_size', { simple: true }) as number
    probe.close()
    const pages = bytes.length / pageSize
    const rng = new Prng(64)
    const tally = { pages, broken: 0, refused: 0, chainBroken: 0, anchorsBroken: 0, intact: 0 }
    const cliChecked: string[] = []
    // Refusals by the check running beside the scan (the file opened, and was found damaged meanwhile).
    let refusedBeside = 0

    for (let page = 0; page < pages; page++) {
      const dir = mkdtempSync(join(tmpdir(), 'sofia-page-'))
      const file = join(dir, 'sofia.db')
      const damaged = Buffer.from(bytes)
      const at = page * pageSize + Math.floor(rng.next() * (pageSize - FLIP))
      for (let i = 0; i < FLIP; i++) damaged[at + i]! ^= 0xff
      writeFileSync(file, damaged)
      copyFileSync(join(ref, 'audit-heads.jsonl'), join(dir, 'audit-heads.jsonl'))

      let broken: boolean
      try {
        const db = new Database(file, { readonly: true, fileMustExist: true })
        const result = db.pragma('integrity_check') as { integrity_check: string }[]
        broken = !(result.length === 1 && result[0]!.integrity_check === 'ok')
        db.close()
      } catch {
        broken = true
      }
      writeFileSync(file, damaged) // exactly the damaged bytes, whatever the probe did

      // As a session opens it: the full check on open, before anything is read.
      let sessionRefused = false
      try {
        await (await openStore({ dataDir: dir, file, create: false, integrity: 'full' })).close()
      } catch (error) {
        expect((error as Error).message).toMatch(new RegExp(`^database ${file} `))
        sessionRefused = true
      }
      // As `sofia audit verify` does: the full check beside the chain scan, then the signed heads.
      let verdict: 'refused' | 'chainBroken' | 'anchorsBroken' | 'intact'
      let store
      try {
        store = await openStore({ dataDir: dir, file, create: false, integrity: 'full', backgroundIntegrity: true })
      } catch (error) {
        expect((error as Error).message).toMatch(new RegExp(`^database ${file} `))
        verdict = 'refused'
      }
      if (store !== undefined) {
        try {
          const { result: chain, anchors } = await verifyStore(store, { headsFile: join(dir, 'audit-heads.jsonl'), extraHeads: [], keys: [key] })
          if (!chain.ok) verdict = 'chainBroken'
          else {
            verdict = anchors?.ok === true ? 'intact' : 'anchorsBroken'
            // Intact means all of it: the same count and the same head.
            if (verdict === 'intact') expect({ count: chain.count, head: chain.head }).toEqual({ count: original.count, head: original.head })
          }
        } catch (error) {
          expect((error as Error).message).toMatch(new RegExp(`^database ${file} `))
          verdict = 'refused'
          refusedBeside++
        } finally {
          await store.close()
        }
      }
      expect(sessionRefused, `page ${page}: a session and audit verify disagree on the damage`).toBe(verdict! === 'refused')
      tally[verdict!]++
      if (broken) {
        tally.broken++
        expect(verdict!, `page ${page}: a broken database was accepted`).toBe('refused')
        // The CLI says so in one line, exit 2 (checked on a few: each run costs a process).
        if (cliChecked.length < 3 && existsSync(file)) {
          const r = sofia(['audit', 'verify', '--data-dir', dir])
          expect(r.code).toBe(2)
          expect(r.stderr.trim().split('\n')).toHaveLength(1)
          expect(r.stderr.trim()).toMatch(/^sofia: database \S+ (is corrupt|is damaged|is not a SQLite database)[\x20-\x7e—]*$/)
          cliChecked.push(r.stderr.trim())
        }
      }
    }
    // The sweep crossed damage of every kind (bounded: one flip per page).
    expect(tally.broken).toBeGreaterThan(10)
    expect(tally.chainBroken).toBeGreaterThan(10)
    expect(tally.intact).toBeGreaterThan(0)
    expect(cliChecked.length).toBe(3)
    expect(refusedBeside).toBeGreaterThan(10)
    console.log(`page-corruption sweep: ${JSON.stringify({ ...tally, refusedBeside })}; e.g. ${cliChecked[0]}`)
  }, 240_000)
})

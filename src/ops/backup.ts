/**
 * @module ops/backup
 * Backups of a Sofia installation: an online, consistent snapshot of the store plus the configuration
 * files, with a manifest (what, when, the audit chain's head) and a SHA-256 checksum per file.
 *
 * - SQLite: the SQLite online backup API (consistent while Sofia keeps writing in WAL mode).
 * - PostgreSQL: `pg_dump --format=custom`, the tool made for it, restored with `pg_restore`.
 *
 * A restore refuses a backup whose files do not match their checksums or whose audit chain does not verify,
 * and says exactly which file or record is wrong. The database it replaces is kept beside it, never deleted.
 *
 * A backup carries its proof: the audit heads file. Checking it verifies every signed head in the chain with
 * the verifier's key, and that the chain still holds every head the backup's heads file and the live
 * installation's heads file remember (up to the backup's end), so a rewritten backup is refused whatever its
 * checksums say.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { copyFile, cp, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { checkAnchors, readHeadsFile, verifyChain, verifySqliteAudit } from '../audit/index.js'
import type { AuditKey, VerifyResult } from '../audit/index.js'
import type { AuditRecord } from '../audit/index.js'
import { InputError } from '../model/index.js'
import { advanceRestoreEpoch, openStore } from '../store/index.js'
import { redactConfigText } from './config-redact.js'

const run = promisify(execFile)

export const BACKUP_FORMAT = 'sofia-backup/1'
export const MANIFEST = 'manifest.json'
const SQLITE_FILE = 'sofia.db'
const PG_DUMP_FILE = 'sofia.pgdump'
/** The backup's copy of the audit heads file. */
export const HEADS_FILE = 'audit-heads.jsonl'

/** What a backup's audit chain is checked against. */
export interface BackupProof {
  /** Keys the signed heads are checked with (none: signatures are not checked, and the check says so). */
  readonly keys: readonly AuditKey[]
  /** The live installation's heads file: the heads it holds up to the backup's end must be in the backup. */
  readonly liveHeadsFile?: string
}

export interface BackupFile {
  readonly path: string
  readonly bytes: number
  readonly sha256: string
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT
  readonly createdAt: string
  readonly store: { readonly kind: 'sqlite' | 'postgres'; readonly location: string; readonly schemaVersion: number }
  readonly audit: { readonly count: number; readonly head: { readonly seq: number; readonly hash: string } | null }
  readonly files: readonly BackupFile[]
  /** Configuration values left out of the backup as secrets: file (in the backup) and dotted key paths. */
  readonly redacted?: readonly { readonly file: string; readonly keys: readonly string[] }[]
}

/** Where the live store is: a SQLite file, or a PostgreSQL URL. */
export type StoreLocation = { readonly sqliteFile: string } | { readonly databaseUrl: string }

export interface CreateBackupOptions {
  readonly store: StoreLocation
  /** Directory the backup is written into (created; must not exist or be empty). */
  readonly outDir: string
  /** Configuration files and folders to include, relative to `configRoot` (missing ones are skipped). */
  readonly configRoot: string
  readonly config?: readonly string[]
  /** The audit heads file, copied into the backup as its proof. */
  readonly headsFile?: string
  readonly now?: () => number
}

export const DEFAULT_CONFIG = ['sofia.yaml', 'config'] as const

export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  const out = options.outDir
  if (existsSync(out) && (await readdir(out)).length > 0) throw new InputError(`backup directory ${out} is not empty`)
  await mkdir(out, { recursive: true })
  let storeInfo: BackupManifest['store']
  let audit: BackupManifest['audit']
  if ('sqliteFile' in options.store) {
    const source = options.store.sqliteFile
    if (!existsSync(source)) throw new InputError(`no Sofia database at ${source}`)
    const target = join(out, SQLITE_FILE)
    const db = new Database(source, { readonly: true, fileMustExist: true })
    try {
      await db.backup(target)
    } finally {
      db.close()
    }
    const summary = await inspectSqlite(target)
    if (!summary.verify.ok) {
      throw new InputError(`database ${source} has a broken audit chain (${describeBad(summary.verify)}); not backing it up — run 'sofia audit verify'`)
    }
    storeInfo = { kind: 'sqlite', location: source, schemaVersion: summary.schemaVersion }
    audit = { count: summary.verify.count, head: summary.verify.head }
  } else {
    const url = options.store.databaseUrl
    const live = await openStore({ dataDir: out, databaseUrl: url, create: false })
    let location: string
    let schemaVersion: number
    try {
      location = live.location
      schemaVersion = await live.schemaVersion()
      const head = await live.auditHead()
      audit = { count: head?.seq ?? 0, head: head ?? null }
    } finally {
      await live.close()
    }
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${join(out, PG_DUMP_FILE)}`, url]).catch((error: unknown) => {
      throw new InputError(`pg_dump failed for ${location}: ${firstLine(error)}`)
    })
    storeInfo = { kind: 'postgres', location, schemaVersion }
  }
  if (options.headsFile !== undefined && existsSync(options.headsFile)) await copyFile(options.headsFile, join(out, HEADS_FILE))
  for (const entry of options.config ?? DEFAULT_CONFIG) {
    const from = join(options.configRoot, entry)
    // The shipped templates (`*.example.yaml`) come with Sofia: only the configuration in use is backed up.
    if (existsSync(from)) await cp(from, join(out, 'config-files', entry), { recursive: true, filter: (src) => !/\.example\.[a-z]+$/i.test(src) })
  }
  const redacted = await redactConfigFiles(join(out, 'config-files'))
  const files = await checksums(out)
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    store: storeInfo,
    audit,
    files,
    ...(redacted.length > 0 ? { redacted } : {}),
  }
  await writeFile(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
  await writeFile(join(out, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''))
  return manifest
}

/** Replaces the secrets in the backup's copies of the YAML configuration files (see ops/config-redact). */
async function redactConfigFiles(dir: string): Promise<{ file: string; keys: string[] }[]> {
  if (!existsSync(dir)) return []
  const out: { file: string; keys: string[] }[] = []
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ya?ml)$/i.test(entry.name)) continue
    const path = join(entry.parentPath, entry.name)
    const { text, redacted } = redactConfigText(await readFile(path, 'utf8'))
    if (redacted.length === 0) continue
    await writeFile(path, text)
    out.push({ file: relative(dirname(dir), path), keys: [...redacted] })
  }
  return out.sort((a, b) => a.file.localeCompare(b.file))
}

export interface BackupCheck {
  readonly ok: boolean
  /** One line per problem: which file or record, and what is wrong with it. */
  readonly problems: readonly string[]
  readonly manifest: BackupManifest
}

/** Checks a backup without touching any live store: manifest, every checksum, and (SQLite) the audit chain. */
export async function checkBackup(dir: string, proof: BackupProof = { keys: [] }): Promise<BackupCheck> {
  const manifest = await readManifest(dir)
  const problems: string[] = []
  const listed = new Set(manifest.files.map((f) => f.path))
  for (const f of manifest.files) {
    const path = join(dir, f.path)
    if (!existsSync(path)) {
      problems.push(`${f.path}: missing`)
      continue
    }
    const actual = await sha256File(path)
    if (actual !== f.sha256) problems.push(`${f.path}: checksum mismatch (manifest ${f.sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…)`)
  }
  for (const f of await checksums(dir)) if (!listed.has(f.path)) problems.push(`${f.path}: not in the manifest`)
  if (manifest.store.kind === 'sqlite' && problems.length === 0) {
    const summary = await inspectSqlite(join(dir, SQLITE_FILE))
    if (!summary.verify.ok) problems.push(`${SQLITE_FILE}: audit chain broken at seq ${describeBad(summary.verify)}`)
    else if (summary.verify.head?.hash !== manifest.audit.head?.hash || summary.verify.count !== manifest.audit.count) {
      problems.push(`${SQLITE_FILE}: audit chain head (seq ${summary.verify.head?.seq ?? 0}) differs from the manifest's (seq ${manifest.audit.head?.seq ?? 0})`)
    } else {
      problems.push(...proofProblems(dir, summary.verify.head, summary.anchors, proof))
    }
  }
  return { ok: problems.length === 0, problems, manifest }
}

export interface RestoreResult {
  readonly manifest: BackupManifest
  /** Where the database that was replaced now is (SQLite), if there was one. */
  readonly previous: string | undefined
}

/**
 * Restores a checked backup over the live store. Call `checkBackup` first: this refuses a backup that fails
 * it. The replaced SQLite database is renamed, not deleted.
 */
export async function restoreBackup(
  dir: string,
  target: StoreLocation,
  options: { readonly now?: number; readonly proof?: BackupProof; readonly headsFile?: string } = {},
): Promise<RestoreResult> {
  const now = options.now ?? Date.now()
  const check = await checkBackup(dir, options.proof)
  if (!check.ok) throw new InputError(`refusing backup ${dir}: ${check.problems[0]}`)
  const manifest = check.manifest
  if ('sqliteFile' in target) {
    if (manifest.store.kind !== 'sqlite') throw new InputError(`backup ${dir} is of a ${manifest.store.kind} store; the target is SQLite`)
    const file = target.sqliteFile
    let previous: string | undefined
    if (existsSync(file)) {
      // Refuses while another process holds the database (a running Sofia): restore needs it stopped.
      const db = new Database(file, { fileMustExist: true, timeout: 1000 })
      try {
        db.pragma('wal_checkpoint(TRUNCATE)')
        db.exec('BEGIN EXCLUSIVE; COMMIT')
      } catch (error) {
        throw new InputError(`database ${file} is in use (${firstLine(error)}); stop Sofia before restoring`)
      } finally {
        db.close()
      }
      previous = `${file}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
      await rename(file, previous)
      for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) await rename(file + suffix, previous + suffix)
    } else {
      await mkdir(dirname(file), { recursive: true })
    }
    await copyFile(join(dir, SQLITE_FILE), file)
    await restoreHeads(dir, options.headsFile, now)
    await advanceEpoch({ dataDir: dirname(file), sqliteFile: file })
    return { manifest, previous }
  }
  if (manifest.store.kind !== 'postgres') throw new InputError(`backup ${dir} is of a ${manifest.store.kind} store; the target is PostgreSQL`)
  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', `--dbname=${target.databaseUrl}`, join(dir, PG_DUMP_FILE)]).catch(
    (error: unknown) => {
      throw new InputError(`pg_restore failed: ${firstLine(error)}`)
    },
  )
  const restored = await openStore({ dataDir: dir, databaseUrl: target.databaseUrl, create: false })
  try {
    const verify = await verifyChain(restored.iterateAudit())
    if (!verify.ok) throw new InputError(`restored database's audit chain is broken at seq ${describeBad(verify)}`)
    const problems = proofProblems(dir, verify.head, await restored.auditAnchors(), options.proof ?? { keys: [] })
    if (problems.length > 0) throw new InputError(`restored database fails its proof: ${problems[0]}`)
    await restoreHeads(dir, options.headsFile, now)
    await advanceRestoreEpoch(restored)
  } finally {
    await restored.close()
  }
  return { manifest, previous: undefined }
}

/**
 * The restored chain ends where the backup's did, so the heads file goes back with it: the live one (which may
 * remember heads signed after the backup) is kept beside it, renamed, never deleted.
 */
async function restoreHeads(dir: string, headsFile: string | undefined, now: number): Promise<void> {
  if (headsFile === undefined) return
  if (existsSync(headsFile)) await rename(headsFile, `${headsFile}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`)
  if (existsSync(join(dir, HEADS_FILE))) {
    await mkdir(dirname(headsFile), { recursive: true })
    await copyFile(join(dir, HEADS_FILE), headsFile)
  }
}

/** A restored store sends client order ids the original never sent: its restore epoch goes up by one. */
async function advanceEpoch(location: { dataDir: string; sqliteFile: string }): Promise<void> {
  const store = await openStore({ dataDir: location.dataDir, file: location.sqliteFile, create: false })
  try {
    await advanceRestoreEpoch(store)
  } finally {
    await store.close()
  }
}

async function readManifest(dir: string): Promise<BackupManifest> {
  const path = join(dir, MANIFEST)
  if (!existsSync(dir)) throw new InputError(`no backup at ${dir}`)
  if (!existsSync(path)) throw new InputError(`${dir} is not a Sofia backup (no ${MANIFEST})`)
  let manifest: unknown
  try {
    manifest = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${firstLine(error)})`)
  }
  const m = manifest as Partial<BackupManifest>
  if (m.format !== BACKUP_FORMAT) throw new InputError(`${path}: field 'format': expected '${BACKUP_FORMAT}', got ${JSON.stringify(m.format)}`)
  if (!Array.isArray(m.files)) throw new InputError(`${path}: field 'files': expected a list`)
  if (m.store === undefined || (m.store.kind !== 'sqlite' && m.store.kind !== 'postgres')) {
    throw new InputError(`${path}: field 'store.kind': expected 'sqlite' or 'postgres'`)
  }
  return m as BackupManifest
}

/** The backup's chain against its signed heads, its own heads file and the live one (up to the backup's end). */
function proofProblems(dir: string, head: { seq: number; hash: string } | null, anchors: readonly AuditRecord[], proof: BackupProof): string[] {
  const end = head?.seq ?? 0
  const live = proof.liveHeadsFile !== undefined && existsSync(proof.liveHeadsFile) ? readHeadsFile(proof.liveHeadsFile).heads : []
  const report = checkAnchors({
    chainHead: head,
    anchors,
    headsFile: join(dir, HEADS_FILE),
    extraHeads: live.filter((l) => l.head.seq + 1 <= end),
    keys: proof.keys,
  })
  return report.problems.map((p) => `audit proof: ${p}`)
}

async function inspectSqlite(file: string): Promise<{ verify: VerifyResult; schemaVersion: number; anchors: AuditRecord[] }> {
  // Opening through the store checks (and migrates) the schema; the chain is then read at full speed.
  const store = await openStore({ dataDir: dirname(file), file, create: false })
  try {
    const verify = await verifySqliteAudit(file)
    return { verify, schemaVersion: await store.schemaVersion(), anchors: await store.auditAnchors() }
  } finally {
    await store.close()
  }
}

async function checksums(dir: string): Promise<BackupFile[]> {
  const out: BackupFile[] = []
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile()) {
        const rel = relative(dir, path)
        if (rel === MANIFEST || rel === 'SHA256SUMS' || /-(wal|shm)$/.test(rel)) continue
        out.push({ path: rel, bytes: (await stat(path)).size, sha256: await sha256File(path) })
      }
    }
  }
  await walk(dir)
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject)
  })
}

function describeBad(result: VerifyResult): string {
  return result.ok ? 'ok' : `${result.firstBad.seq}: ${result.firstBad.reason} (${result.firstBad.detail})`
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? ((error as { stderr?: string }).stderr || error.message) : String(error)
  return text.trim().split('\n')[0] ?? ''
}


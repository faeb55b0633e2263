/**
 * @module cli/commands/audit
 * `sofia audit verify | export | tail | restore`: the operator's tools for the audit chain. Verify exits 1 on
 * a broken chain and names the first bad record; read-only commands never create a database.
 */
import { existsSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { AuditKey, CHECKPOINT, HeadAnchor, KEY_RECORD, checkAnchors, exportJsonl, isRecordOf, readHeadsFile, readJsonl, restoreBefore, verifyJsonl, verifyStore, writeAudited } from '../../audit/index.js'
import type { AnchorReport, AuditRecord, HeadLine, VerifyResult } from '../../audit/index.js'
import { InputError } from '../../model/index.js'
import type { StoredAuditRecord } from '../../store/index.js'
import { parseNonNegativeInt, parseTime } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addStoreOptions, auditKeyFile, dataDirOf, headsFileOf, verifierKeys, withStore } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'
import { addTimeRangeOptions, timeRangeOf } from '../time-range-option.js'
import type { TimeRangeFlags } from '../time-range-option.js'
import { describeClusterChains, verifyClusterChains } from './audit-cluster.js'

interface VerifyFlags extends StoreFlags {
  file?: string
  cluster?: boolean
  nats?: string
  quick?: boolean
  head?: string[]
  publicKey?: string[]
  json?: boolean
}
interface ExportFlags extends StoreFlags, TimeRangeFlags {
  out: string
  json?: boolean
}
interface TailFlags extends StoreFlags {
  n?: string
  json?: boolean
}
interface RestoreFlags extends StoreFlags {
  before: string
  sideFile?: string
  json?: boolean
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .summary('verify, export, tail or restore the audit chain')
    .description(
      'The audit chain: every decision, order, fill, kill-switch and mode change and operator action, each\n' +
        'record hashed with the one before it (SHA-256). Verify names the first bad record.',
    )

  addStoreOptions(
    audit
      .command('verify')
      .summary('check the chain, its signed heads and the database (exit 1 if broken)')
      .description(
        'Verifies the stored chain (every link and hash), every signed head against the audit key, that the chain ' +
          'still reaches every head the heads file (and --head FILE) remembers, and the database pages; or a JSONL ' +
          'export (--file) with the signed heads it carries (and --head FILE). Names the first bad record, or what is missing.',
      ),
  )
    .option('--file <file.jsonl>', 'verify this JSONL export instead of the store')
    .option('--head <file>', 'also check the chain still holds the signed heads in this file (from `sofia audit head`)', collect)
    .option('--quick', 'check the SQLite database\'s structure only (PRAGMA quick_check), not every index against its table')
    .option('--public-key <file>', 'check signatures against this public key too (PEM; default: the audit key)', collect)
    .option('--cluster', "verify every node's chain the cluster knows of (with --nats), each in its own store")
    .option('--nats <url>', 'the cluster\'s NATS server (with --cluster)')
    .option('--json', 'print {ok, count, head | firstBad, anchors} as JSON')
    .action(async (flags: VerifyFlags) => {
      if (flags.cluster === true || flags.nats !== undefined) {
        if (flags.cluster !== true || flags.nats === undefined) throw new InputError('--cluster and --nats go together: sofia audit verify --cluster --nats URL')
        if (flags.file !== undefined) throw new InputError('--cluster verifies the nodes\' stores, not a --file')
        const reports = await verifyClusterChains(flags.nats, {
          integrity: flags.quick === true ? 'quick' : 'full',
          extraHeads: (flags.head ?? []).flatMap((file) => operatorHeads(file)),
          keys: verifierKeys(flags.publicKey ?? []),
          verify: verifyStore,
        })
        const ok = reports.length > 0 && reports.every((r) => r.ok)
        process.stdout.write(flags.json === true ? `${JSON.stringify({ ok, nodes: reports })}\n` : describeClusterChains(reports))
        if (!ok) process.exitCode = EXIT_PROBLEM
        return
      }
      let result: VerifyResult
      let anchors: AnchorReport | undefined
      if (flags.file !== undefined) {
        if (!existsSync(flags.file)) throw new InputError(`--file: no such file ${flags.file}`)
        result = await verifyJsonl(flags.file)
        // An export carries the chain's signed heads: their signatures (and --head files) are checked as for the
        // store; no heads file belongs to an export.
        if (result.ok) {
          const exported: AuditRecord[] = []
          for await (const batch of readJsonl(flags.file)) for (const r of batch) if (r.type === CHECKPOINT || r.type === KEY_RECORD) exported.push(r)
          const extraHeads = (flags.head ?? []).flatMap((file) => operatorHeads(file))
          anchors = checkAnchors({ chainHead: result.head, anchors: exported, extraHeads, keys: verifierKeys(flags.publicKey ?? []) })
        }
      } else {
        const keys = verifierKeys(flags.publicKey ?? [])
        const extraHeads = (flags.head ?? []).flatMap((file) => operatorHeads(file))
        // A SQLite file is read directly, in parallel parts, while its structural check runs in a worker beside
        // them (the store stays open: it has inspected and, where needed, migrated the file); other stores are
        // read through the port.
        ;({ result, anchors } = await withStore(flags, (store) => verifyStore(store, { headsFile: headsFileOf(flags), extraHeads, keys }), { create: false, integrity: flags.quick === true ? 'quick' : 'full', backgroundIntegrity: true }))
      }
      const ok = result.ok && (anchors?.ok ?? true)
      if (flags.json === true) {
        const out = result.ok
          ? { ok, count: result.count, head: result.head, ...(anchors === undefined ? {} : { anchors }) }
          : { ok: false, count: result.count, firstBad: result.firstBad }
        process.stdout.write(`${JSON.stringify(out)}\n`)
      } else if (result.ok) {
        const what = anchors?.ok === false ? 'audit chain links intact' : 'audit chain intact'
        process.stdout.write(
          result.head === null
            ? `${what}: 0 records (empty)\n`
            : `${what}: ${result.count} records, head seq ${result.head.seq} hash ${result.head.hash.slice(0, 12)}…\n`,
        )
        if (anchors !== undefined) process.stdout.write(describeAnchors(anchors))
      } else {
        const bad = result.firstBad
        process.stdout.write(
          `audit chain broken at seq ${bad.seq}: ${bad.reason} (${bad.detail})\n` +
            `${result.count} good record${result.count === 1 ? '' : 's'} before it\n`,
        )
      }
      if (!ok) process.exitCode = EXIT_PROBLEM
    })

  addStoreOptions(
    audit
      .command('head')
      .summary('print the newest signed head (one JSON line) for an operator to keep elsewhere')
      .description(
        'Prints the newest signed head of the chain as one JSON line. Keep it somewhere the store cannot reach\n' +
          '(`sofia audit head >> ~/safe/sofia-heads.jsonl`); `sofia audit verify --head FILE` then proves the chain\n' +
          'still reaches it. Exit 1 when the chain has no signed head.',
      ),
  ).action(async (flags: StoreFlags) => {
    const head = await withStore(flags, async (store) => {
      const anchors = await store.auditAnchors()
      for (let i = anchors.length - 1; i >= 0; i--) {
        const r = anchors[i]!
        if (isRecordOf(r, CHECKPOINT)) return r.payload
      }
      return undefined
    })
    if (head === undefined) {
      process.stderr.write('sofia: the chain has no signed head yet (a session signs one at least every minute and when it stops)\n')
      process.exitCode = EXIT_PROBLEM
      return
    }
    process.stdout.write(`${JSON.stringify({ seq: head.seq, hash: head.hash, signedAt: head.signedAt, keyId: head.keyId, sig: head.sig })}\n`)
  })

  addStoreOptions(
    audit
      .command('rotate-key')
      .summary('replace the audit signing key; the rotation is recorded in the chain, endorsed by the old key')
      .description(
        'Creates a new Ed25519 key at the audit key file (SOFIA_AUDIT_KEY / audit.keyFile), keeps the old one as\n' +
          '<file>.<old key id>.retired, records the new public key in the chain endorsed by the old key, and signs\n' +
          'the head with the new key. Stop sessions first: a running one signs with the key it started with.',
      )
      .option('--json', 'print {previousKeyId, keyId, keyFile} as JSON'),
  ).action(async (flags: StoreFlags & { json?: boolean }) => {
    const file = auditKeyFile()
    if (!existsSync(file)) throw new InputError(`no audit key at ${file} to rotate (a session creates one when it starts)`)
    const old = AuditKey.read(file)
    const retired = `${file}.${old.keyId}.retired`
    renameSync(file, retired)
    rmSync(`${file}.pub`, { force: true })
    const next = AuditKey.create(file)
    await withStore(flags, async (store) => {
      // The rotation is endorsed by the old key; the head after it is signed by the new one.
      if (store.anchor !== undefined) store.anchor = new HeadAnchor(next, store.anchor.headsFile)
      await writeAudited(store, {}, (log) => log.record(KEY_RECORD, `operator:${operatorName()}`, old.endorse(next), Date.now()))
    })
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ previousKeyId: old.keyId, keyId: next.keyId, keyFile: file, retired })}\n`)
    else process.stdout.write(`audit key rotated: ${old.keyId} → ${next.keyId} (${file}; the old key kept as ${retired})\n`)
  })

  addStoreOptions(
    addTimeRangeOptions(
      audit
        .command('export')
        .summary('write the chain (or a time range of it) as JSONL that verifies on its own')
        .requiredOption('--out <file.jsonl>', 'file to write'),
      'first record time, inclusive',
    ).option('--json', 'print {count, firstSeq, lastSeq, file} as JSON'),
  ).action(async (flags: ExportFlags) => {
    const { from: fromTs, to: toTs } = timeRangeOf(flags)
    if (fromTs !== undefined && toTs !== undefined && toTs <= fromTs) throw new InputError('--to must be after --from')
    if (!existsSync(dirname(flags.out))) throw new InputError(`--out: directory ${dirname(flags.out)} does not exist`)
    const summary = await withStore(flags, (store) =>
      exportJsonl(store, flags.out, { ...(fromTs === undefined ? {} : { fromTs }), ...(toTs === undefined ? {} : { toTs }) }),
    )
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify({ ...summary, file: flags.out })}\n`)
    } else {
      const seqs = summary.firstSeq === null ? '' : ` (seq ${summary.firstSeq}–${summary.lastSeq})`
      process.stdout.write(`exported ${summary.count} audit records${seqs} to ${flags.out}\n`)
    }
  })

  addStoreOptions(
    audit
      .command('tail')
      .summary('show the last records, one line each')
      .option('-n, --n <count>', 'how many records (default 20)')
      .option('--json', 'print the records as a JSON array'),
  ).action(async (flags: TailFlags) => {
    const n = flags.n === undefined ? 20 : parseNonNegativeInt('-n', flags.n)
    const records = await withStore(flags, async (store) => {
      const head = await store.auditHead()
      const out: StoredAuditRecord[] = []
      if (head === undefined || n === 0) return out
      for await (const batch of store.iterateAudit({ fromSeq: Math.max(1, head.seq - n + 1) }, n)) out.push(...batch)
      return out.slice(-n)
    })
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(records.map(({ body: _body, ...r }) => r))}\n`)
      return
    }
    if (records.length === 0) {
      process.stdout.write('no audit records\n')
      return
    }
    const seqWidth = String(records[records.length - 1]?.seq ?? 0).length
    const actorWidth = Math.max(...records.map((r) => r.actor.length))
    const typeWidth = Math.max(...records.map((r) => r.type.length))
    for (const r of records) {
      process.stdout.write(
        `${String(r.seq).padStart(seqWidth)}  ${isoTime(r.ts)}  ${r.actor.padEnd(actorWidth)}  ${r.type.padEnd(typeWidth)}  ${summarize(r.payload)}\n`,
      )
    }
  })

  addStoreOptions(
    audit
      .command('restore')
      .summary('cut the chain back to before a time (or its first bad record), saving the rest to a side file')
      .description(
        'Keeps the records before --before, or fewer: only up to the last good record before the first bad one.\n' +
          'The removed records are written to a JSONL side file before they are deleted. Stop Sofia first.',
      )
      .requiredOption('--before <time>', 'keep records before this time (ISO 8601 or epoch ms)')
      .option('--side-file <file.jsonl>', 'where the removed records go (default: audit-removed-<time>.jsonl beside the database)')
      .option('--json', 'print {kept, removed, sideFile, firstBad} as JSON'),
  ).action(async (flags: RestoreFlags) => {
    const beforeTs = parseTime('--before', flags.before)
    const sideFile = flags.sideFile ?? defaultSideFile(flags)
    const summary = await withStore(flags, (store) => restoreBefore(store, beforeTs, sideFile))
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(summary)}\n`)
      return
    }
    if (summary.firstBad !== null) {
      const bad = summary.firstBad
      process.stdout.write(`the chain breaks at seq ${bad.seq} (${bad.reason}: ${bad.detail}), before --before: cut there\n`)
    }
    process.stdout.write(
      summary.removed === 0
        ? `nothing removed: kept ${summary.kept} records\n`
        : `kept ${summary.kept} records (seq 1–${summary.kept}); removed ${summary.removed} records, saved to ${summary.sideFile}\n`,
    )
  })
}

function defaultSideFile(flags: StoreFlags): string {
  const dir = flags.db === undefined ? dataDirOf(flags) : dirname(flags.db)
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  return join(dir, `audit-removed-${stamp}.jsonl`)
}

function isoTime(ts: number): string {
  const date = new Date(ts)
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString()
}

const SUMMARY_WIDTH = 100

/** `k=v` for the top-level members of an object payload (JSON otherwise), cut to one screen line. */
function summarize(payload: unknown): string {
  let text: string
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    text = Object.entries(payload as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
  } else {
    text = JSON.stringify(payload) ?? ''
  }
  return text.length > SUMMARY_WIDTH ? `${text.slice(0, SUMMARY_WIDTH - 1)}…` : text
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

function operatorName(): string {
  return process.env['USER'] || process.env['LOGNAME'] || 'cli'
}

/** The heads of an operator's `--head` file; a file that holds none is an input error. */
function operatorHeads(file: string): HeadLine[] {
  if (!existsSync(file)) throw new InputError(`--head: no such file ${file}`)
  const read = readHeadsFile(file)
  if (read.problems.length > 0) throw new InputError(`--head: ${read.problems[0]}`)
  if (read.heads.length === 0) throw new InputError(`--head: ${file} holds no signed head`)
  return read.heads
}

function describeAnchors(a: AnchorReport): string {
  let out = ''
  if (a.newest === null) out += 'signed heads: none (not anchored yet)\n'
  else {
    const by = a.trustedKeys.length > 0 ? `checked against key ${a.trustedKeys.join(', ')}` : 'signatures not checked'
    out += `signed heads: ${a.signedHeads}, the newest for seq ${a.newest.seq} at ${new Date(a.newest.signedAt).toISOString()} (${by}); ${a.headsChecked} remembered heads checked\n`
  }
  for (const n of a.notes) out += `note: ${n}\n`
  for (const p of a.problems) out += `problem: ${p}\n`
  return out
}

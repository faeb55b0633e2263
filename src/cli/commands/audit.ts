/**
 * @module cli/commands/audit
 * `sofia audit verify | export | tail | restore`: the operator's tools for the audit chain. Verify exits 1 on
 * a broken chain and names the first bad record; read-only commands never create a database.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { exportJsonl, restoreBefore, verifyChain, verifyJsonl, verifySqliteAudit } from '../../audit/index.js'
import type { VerifyResult } from '../../audit/index.js'
import { InputError } from '../../model/index.js'
import type { Store, StoredAuditRecord } from '../../store/index.js'
import { parseNonNegativeInt, parseTime } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'

interface VerifyFlags extends StoreFlags {
  file?: string
  json?: boolean
}
interface ExportFlags extends StoreFlags {
  out: string
  from?: string
  to?: string
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
      .summary('check every link and hash of the chain (exit 1 if broken)')
      .description('Verifies the stored chain, or a JSONL export (--file), and names the first bad record.'),
  )
    .option('--file <file.jsonl>', 'verify this JSONL export instead of the store')
    .option('--json', 'print {ok, count, head | firstBad} as JSON')
    .action(async (flags: VerifyFlags) => {
      let result: VerifyResult
      if (flags.file !== undefined) {
        if (!existsSync(flags.file)) throw new InputError(`--file: no such file ${flags.file}`)
        result = await verifyJsonl(flags.file)
      } else {
        // A SQLite file is read directly, in parallel parts (the store stays open: it has checked and migrated
        // the file); other stores are read through the port.
        result = await withStore(flags, false, (store) =>
          store.kind === 'sqlite'
            ? verifySqliteAudit(store.location)
            : verifyChain(store.iterateAudit(undefined, 5000), { fromGenesis: true }),
        )
      }
      if (flags.json === true) {
        const out = result.ok
          ? { ok: true, count: result.count, head: result.head }
          : { ok: false, count: result.count, firstBad: result.firstBad }
        process.stdout.write(`${JSON.stringify(out)}\n`)
      } else if (result.ok) {
        process.stdout.write(
          result.head === null
            ? 'audit chain intact: 0 records (empty)\n'
            : `audit chain intact: ${result.count} records, head seq ${result.head.seq} hash ${result.head.hash.slice(0, 12)}…\n`,
        )
      } else {
        const bad = result.firstBad
        process.stdout.write(
          `audit chain broken at seq ${bad.seq}: ${bad.reason} (${bad.detail})\n` +
            `${result.count} good record${result.count === 1 ? '' : 's'} before it\n`,
        )
      }
      if (!result.ok) process.exitCode = EXIT_PROBLEM
    })

  addStoreOptions(
    audit
      .command('export')
      .summary('write the chain (or a time range of it) as JSONL that verifies on its own')
      .requiredOption('--out <file.jsonl>', 'file to write')
      .option('--from <time>', 'first record time, inclusive (ISO 8601 or epoch ms)')
      .option('--to <time>', 'end time, exclusive (ISO 8601 or epoch ms)')
      .option('--json', 'print {count, firstSeq, lastSeq, file} as JSON'),
  ).action(async (flags: ExportFlags) => {
    const fromTs = flags.from === undefined ? undefined : parseTime('--from', flags.from)
    const toTs = flags.to === undefined ? undefined : parseTime('--to', flags.to)
    if (fromTs !== undefined && toTs !== undefined && toTs <= fromTs) throw new InputError('--to must be after --from')
    if (!existsSync(dirname(flags.out))) throw new InputError(`--out: directory ${dirname(flags.out)} does not exist`)
    const summary = await withStore(flags, false, (store) =>
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
    const records = await withStore(flags, false, async (store) => {
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
    const summary = await withStore(flags, false, (store) => restoreBefore(store, beforeTs, sideFile))
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

/** Opens the store the flags select, runs `use`, and closes it whatever happens. */
async function withStore<T>(flags: StoreFlags, create: boolean, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFromFlags(flags, { create })
  try {
    return await use(store)
  } finally {
    await store.close()
  }
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

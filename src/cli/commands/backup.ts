/**
 * @module cli/commands/backup
 * `sofia backup create|check|restore`: consistent snapshots of the store plus configuration, with checksums.
 */
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { checkBackup, createBackup, restoreBackup } from '../../ops/index.js'
import type { StoreLocation } from '../../ops/index.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addStoreOptions, dataDirOf, headsFileOf, sqliteFileOf, verifierKeys } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'

interface BackupFlags extends StoreFlags {
  out?: string
  json?: boolean
}

function locationOf(flags: StoreFlags): StoreLocation {
  const file = sqliteFileOf(flags)
  return file !== undefined ? { sqliteFile: file } : { databaseUrl: process.env['DATABASE_URL']! }
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').summary('back up the store and configuration, check a backup, restore one')

  addStoreOptions(
    backup
      .command('create')
      .summary('write an online, consistent snapshot of the store plus configuration, with a manifest and checksums')
      .option('--out <dir>', 'directory to write (default <data-dir>/backups/<UTC time>)')
      .option('--json', 'print the manifest as JSON'),
  ).action(async (flags: BackupFlags) => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const out = resolve(flags.out ?? join(dataDirOf(flags), 'backups', stamp))
    const manifest = await createBackup({ store: locationOf(flags), outDir: out, configRoot: process.cwd(), headsFile: headsFileOf(flags) })
    for (const r of manifest.redacted ?? []) {
      const n = r.keys.length
      process.stderr.write(`sofia: backup: redacted ${n} secret${n === 1 ? '' : 's'} in ${r.file} (${r.keys.join(', ')}); keep them elsewhere\n`)
    }
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ dir: out, ...manifest })}\n`)
    else {
      process.stdout.write(
        `backup written to ${out}\n` +
          `  store     ${manifest.store.kind} ${manifest.store.location} (schema v${manifest.store.schemaVersion})\n` +
          `  audit     ${manifest.audit.count} records, head ${manifest.audit.head === null ? '-' : `seq ${manifest.audit.head.seq} ${manifest.audit.head.hash.slice(0, 16)}…`}\n` +
          `  files     ${manifest.files.map((f) => `${f.path} (${f.bytes} B)`).join(', ')}\n`,
      )
    }
  })

  backup
    .command('check')
    .summary('verify a backup: every checksum and the audit chain inside it (exit 1 on a problem)')
    .argument('<dir>', 'backup directory')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const check = await checkBackup(dir, { keys: verifierKeys([]) })
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ ok: check.ok, problems: check.problems })}\n`)
      else if (check.ok) process.stdout.write(`backup ${dir} is intact: ${check.manifest.files.length} files, ${check.manifest.audit.count} audit records\n`)
      else process.stdout.write(`backup ${dir} is damaged:\n${check.problems.map((p) => `  ${p}\n`).join('')}`)
      if (!check.ok) process.exitCode = EXIT_PROBLEM
    })

  addStoreOptions(
    backup
      .command('restore')
      .summary('restore a backup over the store (refuses one whose checksums or chain do not verify)')
      .argument('<dir>', 'backup directory')
      .option('--json', 'print the result as JSON'),
  ).action(async (dir: string, flags: BackupFlags) => {
    const proof = { keys: verifierKeys([]), liveHeadsFile: headsFileOf(flags) }
    const check = await checkBackup(dir, proof)
    if (!check.ok) {
      process.stderr.write(`sofia: refusing backup ${dir}: ${check.problems.join('; ')}\n`)
      process.exitCode = EXIT_PROBLEM
      return
    }
    const result = await restoreBackup(dir, locationOf(flags), { proof, headsFile: headsFileOf(flags) })
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ restored: dir, previous: result.previous ?? null })}\n`)
    else {
      process.stdout.write(
        `restored ${dir} (${result.manifest.audit.count} audit records)` +
          (result.previous === undefined ? '\n' : `; the replaced database is kept at ${result.previous}\n`),
      )
    }
  })
}

/**
 * @module cli/commands/registry
 * `sofia registry list|register|show|promote`: strategy versions with their parameters, code hash, model
 * artifact (checksum verified on use) and validation results; one active and one last_good per strategy.
 */
import { resolveStrategyFlags } from '../session-config.js'
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { StrategyRegistry, controlSink, storeSink } from '../../ops/canary/index.js'
import type { AuditSink, RegisteredVersion, ValidationReport } from '../../ops/canary/index.js'
import { liveSession } from '../../system/index.js'
import type { Store } from '../../store/index.js'
import { collect, keyValues } from '../args.js'
import { actorOf, addOperatorOptions } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { openStoreFromFlags } from '../store-option.js'
import { formatValidation, validateFromFlags } from './validate.js'

interface Flags extends OperatorFlags {
  strategy?: string
  strategyVersion?: string
  param?: string[]
  artifact?: string
  data?: string[]
  validationReport?: string
  skipValidation?: boolean
  reason?: string
  folds?: string
  embargoPct?: string
  trials?: string
}

/** The sink for commands that write: the store directly, or through the running session that owns the audit chain. */
export async function cliSink(store: Store): Promise<AuditSink> {
  return (await liveSession(store)) === undefined ? storeSink(store) : controlSink(store)
}

async function withRegistry<T>(flags: Flags, create: boolean, fn: (r: StrategyRegistry, sink: AuditSink) => Promise<T>): Promise<T> {
  const store = await openStoreFromFlags(flags, { create })
  try {
    const sink = await cliSink(store)
    return await fn(new StrategyRegistry(sink), sink)
  } finally {
    await store.close()
  }
}

function line(v: RegisteredVersion): string {
  const validation = v.validation === null ? 'none' : 'skipped' in v.validation ? `skipped (${v.validation.reason})` : v.validation.passed ? 'passed' : `failed (${v.validation.failed.join(', ')})`
  return `${v.strategy.padEnd(16)} ${v.version.padEnd(12)} ${v.status.padEnd(12)} code ${v.codeHash.slice(0, 12)}  ${v.artifact !== null ? `artifact ${v.artifact.sha256.slice(0, 12)}  ` : ''}validation ${validation}  params ${JSON.stringify(v.params)}`
}

const need = (value: string | undefined, option: string): string => {
  if (value === undefined || value.trim() === '') throw new InputError(`${option} is required`)
  return value
}

export function registerRegistry(program: Command): void {
  const reg = program.command('registry').summary('strategy/model versions: list, register, show, promote')

  addOperatorOptions(reg.command('list').summary('every registered version').option('--strategy <name>', 'only this strategy')).action(async (flags: Flags) => {
    await withRegistry(flags, false, async (r) => {
      const all = await r.list(flags.strategy)
      if (flags.json === true) process.stdout.write(`${JSON.stringify(all)}\n`)
      else process.stdout.write(all.length === 0 ? 'no registered versions\n' : `${all.map(line).join('\n')}\n`)
    })
  })

  addOperatorOptions(
    reg
      .command('register')
      .summary('register a version (needs a passing validation, or --skip-validation --reason)')
      .requiredOption('--strategy <name>', 'strategy')
      .requiredOption('--strategy-version <id>', 'version id (immutable once registered)')
      .option('--param <key=value>', 'strategy parameter (repeatable)', collect, [])
      .option('--artifact <file>', 'model artifact to record with its SHA-256')
      .option('--data <path...>', 'validate on these recorded data files first')
      .option('--validation-report <file>', 'a `sofia validate --json` report of the same strategy and parameters')
      .option('--skip-validation', 'register without a passing validation (audited; needs --reason)')
      .option('--reason <text>', 'why (audited; required with --skip-validation)')
      .option('--folds <n>', 'walk-forward folds')
      .option('--embargo-pct <fraction>', 'embargo after each test fold')
      .option('--trials <n>', 'parameter-grid trials'),
  ).action(async (flags: Flags) => {
    const [strategy] = await resolveStrategyFlags([need(flags.strategy, '--strategy')], flags)
    if (strategy === undefined) throw new InputError('--strategy: required')
    const params = keyValues('--param', flags.param ?? [])
    if (flags.skipValidation === true && (flags.reason ?? '').trim() === '') throw new InputError('--skip-validation needs --reason')
    let validation: ValidationReport | undefined
    if (flags.validationReport !== undefined) {
      try {
        validation = JSON.parse(readFileSync(flags.validationReport, 'utf8')) as ValidationReport
      } catch (error) {
        throw new InputError(`--validation-report ${flags.validationReport}: ${error instanceof Error ? error.message : String(error)}`)
      }
    } else if (flags.data !== undefined) {
      validation = await validateFromFlags(strategy, flags.data, params, flags)
      if (flags.json !== true) process.stdout.write(`${formatValidation(validation)}\n`)
    }
    await withRegistry(flags, true, async (r) => {
      const v = await r.register(
        {
          strategy,
          version: need(flags.strategyVersion, '--strategy-version'),
          params,
          ...(flags.artifact !== undefined ? { artifact: flags.artifact } : {}),
          ...(validation !== undefined ? { validation } : {}),
          ...(flags.skipValidation === true ? { skipValidation: { reason: flags.reason ?? '' } } : {}),
          ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        },
        actorOf(flags),
      )
      process.stdout.write(flags.json === true ? `${JSON.stringify(v)}\n` : `registered ${line(v)}\n`)
    })
  })

  addOperatorOptions(
    reg.command('show').summary("one version, its artifact checked against its checksum (exit 1 when it does not match)").requiredOption('--strategy <name>', 'strategy').requiredOption('--strategy-version <id>', 'version'),
  ).action(async (flags: Flags) => {
    const [strategy] = await resolveStrategyFlags([need(flags.strategy, '--strategy')], flags)
    await withRegistry(flags, false, async (r) => {
      const v = await r.get(strategy!, need(flags.strategyVersion, '--strategy-version'))
      let artifact = 'none'
      let code = 'built-in'
      try {
        const check = (await r.verifyArtifact(v)).code
        if (check === 'kept') code = 'kept in the store: the file has changed since, the registered code runs'
        else if (check === 'file') code = 'the file as registered'
        if (v.artifact !== null) artifact = `verified (${v.artifact.path}, sha256 ${v.artifact.sha256})`
      } catch (error) {
        artifact = `MISMATCH: ${error instanceof Error ? error.message : String(error)}`
        process.exitCode = 1
      }
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ ...v, artifactCheck: artifact, codeCheck: code })}\n`)
      else {
        process.stdout.write(`${line(v)}\ncode hash ${v.codeHash} (${code})\nartifact ${artifact}\nregistered ${new Date(v.createdAt).toISOString()}\n`)
        if (v.validation !== null && !('skipped' in v.validation)) process.stdout.write(`${formatValidation(v.validation)}\n`)
      }
    })
  })

  addOperatorOptions(
    reg
      .command('promote')
      .summary('make a version active (the active one becomes last_good)')
      .requiredOption('--strategy <name>', 'strategy')
      .requiredOption('--strategy-version <id>', 'version')
      .option('--reason <text>', 'why'),
  ).action(async (flags: Flags) => {
    // A user's strategy is loaded, so its file can be checked against the version's code hash.
    const [strategy] = await resolveStrategyFlags([need(flags.strategy, '--strategy')], flags)
    await withRegistry(flags, false, async (r) => {
      const p = await r.promote(strategy!, need(flags.strategyVersion, '--strategy-version'), actorOf(flags), flags.reason ?? '')
      process.stdout.write(flags.json === true ? `${JSON.stringify(p)}\n` : `${p.active.strategy}: ${p.active.version} active, last_good ${p.lastGood?.version ?? '(none)'}\n`)
    })
  })
}

/**
 * @module cli/commands/validate
 * `sofia validate --strategy S --data FILE… [--param k=v] [--folds 5] [--embargo-pct 0.01] [--trials N]`:
 * walk-forward Sharpe, Deflated Sharpe Ratio and PBO against the promotion thresholds. Exit 0 when all
 * pass, 1 naming the failing criteria, 2 on bad input. With `--nats URL` the backtests run on `sofia worker`
 * processes (the report is the same).
 */
import { resolveStrategyFlags, sessionConfig } from '../session-config.js'
import { InputError } from '../../model/index.js'
import type { Command } from 'commander'
import { validateStrategy } from '../../ops/canary/index.js'
import type { ValidationReport } from '../../ops/canary/index.js'
import { collect, keyValues, parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addQueueOptions, queueFromFlags } from '../queue-option.js'
import type { QueueFlags } from '../queue-option.js'

interface Flags extends QueueFlags {
  strategy: string
  data: string[]
  param: string[]
  folds?: string
  embargoPct?: string
  trials?: string
  workers?: string
  json?: boolean
}

/** Runs validation from flags shared by `validate` and `registry register`. */
export async function validateFromFlags(
  strategy: string,
  data: readonly string[],
  params: Record<string, string>,
  flags: { folds?: string; embargoPct?: string; trials?: string; workers?: string; config?: string } & QueueFlags,
): Promise<ValidationReport> {
  const nats = queueFromFlags(flags)
  if (nats !== undefined && flags.workers !== undefined) throw new InputError('--workers: local threads only, not with --nats')
  const { config } = await sessionConfig(flags)
  const [name] = await resolveStrategyFlags([strategy], flags, config)
  const workers = flags.workers === undefined ? undefined : parseNonNegativeInt('--workers', flags.workers)
  if (workers === 0) throw new InputError('--workers: at least 1')
  return validateStrategy({
    strategy: name!,
    strategySource: strategy,
    strategyDir: config.strategyDir,
    ...(workers !== undefined ? { workers } : {}),
    ...(nats !== undefined ? { nats } : {}),
    params,
    data,
    ...(flags.folds !== undefined ? { folds: parseNonNegativeInt('--folds', flags.folds) } : {}),
    ...(flags.embargoPct !== undefined ? { embargoPct: parseNonNegativeNumber('--embargo-pct', flags.embargoPct) } : {}),
    ...(flags.trials !== undefined ? { trials: parseNonNegativeInt('--trials', flags.trials) } : {}),
  })
}

export function formatValidation(r: ValidationReport): string {
  const lines = [`validation of ${r.strategy} ${JSON.stringify(r.params)} on ${r.data.join(', ')}`]
  for (const f of r.folds) {
    lines.push(`  fold ${f.index + 1}: ${new Date(f.from).toISOString()} → ${new Date(f.to).toISOString()}  Sharpe ${f.sharpe.toFixed(2)}  (train ${f.trainPeriods}, purged ${f.purgedPeriods}, embargoed ${f.embargoedPeriods}; selected trial ${f.selectedTrial} OOS Sharpe ${f.selectedOosSharpe.toFixed(2)})`)
  }
  lines.push(`  trials: ${r.trials.length}; DSR: SR ${r.dsr.sharpe.toFixed(4)}/period vs SR0 ${r.dsr.benchmark.toFixed(4)} over T=${r.dsr.observations}`)
  for (const c of r.criteria) lines.push(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name.padEnd(20)} ${c.value === null ? 'n/a' : c.value.toFixed(4)}  (needs ${c.threshold})`)
  lines.push(r.passed ? 'validation passed' : `validation FAILED: ${r.failed.join(', ')}`)
  return lines.join('\n')
}

export function registerValidate(program: Command): void {
  const cmd = program
    .command('validate')
    .summary('walk-forward, Deflated Sharpe and PBO checks before a version may be promoted')
    .requiredOption('--strategy <name|file>', 'strategy to validate: a built-in name, a .ts/.js file, or NAME in ./strategies')
    .requiredOption('--data <path...>', 'recorded market data files')
    .option('--param <key=value>', 'strategy parameter (repeatable)', collect, [])
    .option('--folds <n>', 'walk-forward folds (default 5)')
    .option('--embargo-pct <fraction>', 'embargo after each test fold, fraction of the span (default 0.01)')
    .option('--trials <n>', 'parameter-grid trials for DSR and PBO, the candidate included (default 8)')
    .option('--workers <n>', "worker threads for the backtests (default: the cores; sofia sweep's)")
    .option('--json', 'print the report as JSON')
  addQueueOptions(cmd).action(async (flags: Flags) => {
    const r = await validateFromFlags(flags.strategy, flags.data, keyValues('--param', flags.param), flags)
    process.stdout.write(flags.json === true ? `${JSON.stringify(r)}\n` : `${formatValidation(r)}\n`)
    if (!r.passed) process.exitCode = EXIT_PROBLEM
  })
}

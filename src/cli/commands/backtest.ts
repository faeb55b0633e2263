/**
 * @module cli/commands/backtest
 * `sofia backtest`: run strategies over recorded or synthetic data on a simulated clock and print the report.
 */
import { rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { openStore } from '../../store/index.js'
import type { Store } from '../../store/index.js'
import { formatStrategies, looksLikePath } from '../../strategy/index.js'
import { resolveStrategyFlags, sessionConfig, strategySpecsOf } from '../session-config.js'
import { addTimeRangeOptions, timeRangeOf } from '../time-range-option.js'
import { dataDirOf, withStore } from '../store-option.js'
import { InputError } from '../../model/index.js'
import { StrategyRegistry, storeSink } from '../../ops/canary/index.js'
import type { StrategySpec } from '../../system/index.js'
import { runBacktest, SYNTHETIC, withoutMonitors } from '../../system/index.js'
import { collect, keyValues, parseDataFormat, parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'
import { formatReport, reportJson } from '../report-format.js'

interface BacktestFlags {
  strategy: string[]
  strategyVersion?: string
  data: string[]
  symbol?: string
  venue?: string
  format?: string
  from?: string
  to?: string
  param: string[]
  balance: string[]
  seed?: string
  latencyMs?: string
  events?: string
  skipBadRows?: boolean
  log?: boolean
  json?: boolean
  out?: string
  series?: string
  store?: string
  dataDir?: string
  db?: string
  config?: string
}

export function registerBacktest(program: Command): void {
  const cmd = program
    .command('backtest')
    .summary('run a strategy over recorded or synthetic market data and print its report')
    .description(
      'Runs strategies over recorded market data (candles, trades, order books; see README for formats) or\n' +
        `the seeded synthetic market (--data ${SYNTHETIC}) through the simulated exchange, on a simulated clock.\n` +
        'The same data, parameters and seed always give the same report.',
    )
    .requiredOption('--strategy <name|file>', 'strategy: a built-in name, a .ts/.js file, or NAME in ./strategies (repeat to run several side by side)', collect)
    .option('--strategy-version <id>', "a version of the strategy in the registry (sofia registry list): run its parameters and its code as registered; read from the store of --data-dir or DATABASE_URL")
    .requiredOption('--data <path...>', `market data files, or '${SYNTHETIC}'`)
    .option('--symbol <symbol>', 'symbol of the data (default: from the file name)')
    .option('--venue <id>', 'venue name for the data (default: from the file name)')
    .option('--format <name>', 'format of the data files (default: detected from the name and first line; see README)')
  addTimeRangeOptions(cmd, 'first event time')
    .option('--param <key=value>', 'strategy parameter (repeatable)', collect, [])
    .option('--balance <asset=amount>', 'starting balance on every venue (repeatable; default 1 BTC, 10 ETH or 50 BNB as quote, else 10000 of the quote)', collect, [])
    .option('--seed <n>', 'seed of the synthetic market (default 1)')
    .option('--events <n>', 'synthetic market: number of events (default 200000)')
    .option('--latency-ms <ms>', 'order latency of the simulated exchange (default 0)')
    .option('--skip-bad-rows', 'count and skip malformed data rows instead of stopping at the first')
    .option('--log', "print the strategies' ctx.log lines and alerts to stderr, with the simulated time")
    .option('--json', 'print the report as one JSON object')
    .option('--out <file>', 'also write the report (without wall-clock figures) as JSON to this file')
    .option('--series <file>', 'also write the equity curve and the fills (the first 5000) as JSON to this file, for charts')
    .option('--store <file|memory|none>', "record the run's orders, fills and audit chain in this SQLite file (replaced each run), 'memory', or 'none'")
    .option('--data-dir <dir>', 'data directory; the default --store is <dir>/backtest.db (default $SOFIA_HOME or ./var)')
    .option('--db <file>', 'with --strategy-version: the SQLite database the registry is read from (instead of <data-dir>/sofia.db or $DATABASE_URL)')
    .option('--config <file>', 'configuration file with risk limits (default ./sofia.yaml when present)')
    .addHelpText('after', `\nStrategies and their parameters:\n${formatStrategies()}`)
    .action(async (flags: BacktestFlags) => {
      const session = await sessionConfig(flags)
      const strategies = flags.strategyVersion !== undefined ? [await registeredSpec(flags, flags.strategyVersion)] : await strategySpecsOf(flags, session.config)
      const store = await openBacktestStore(flags)
      const result = await runBacktest({
        // Runtime monitors act in a backtest only when configured (a default drawdown halt ends a test run).
        riskSettings: session.config.source.monitorsConfigured ? session.risk : withoutMonitors(session.risk),
        ...(session.positionOverride !== undefined ? { positionOverride: session.positionOverride } : {}),
        ...(store !== undefined ? { store } : {}),
        strategies,
        data: flags.data,
        ...(flags.symbol !== undefined ? { symbol: flags.symbol } : {}),
        ...(flags.venue !== undefined ? { venue: flags.venue } : {}),
        ...(flags.format !== undefined ? { format: parseDataFormat('--format', flags.format) } : {}),
        ...timeRangeOf(flags),
        ...(flags.seed !== undefined ? { seed: parseNonNegativeInt('--seed', flags.seed) } : {}),
        ...(flags.events !== undefined ? { syntheticEvents: parseNonNegativeInt('--events', flags.events) } : {}),
        ...(flags.latencyMs !== undefined ? { latencyMs: parseNonNegativeNumber('--latency-ms', flags.latencyMs) } : {}),
        ...(flags.skipBadRows === true ? { skipBadRows: true } : {}),
        balances: keyValues('--balance', flags.balance),
        ...(flags.series !== undefined ? { series: true } : {}),
        ...(flags.log === true ? { onLog: (line: string) => void process.stderr.write(`${line}\n`) } : {}),
      })
      await store?.close()
      if (flags.out !== undefined) await writeFile(flags.out, `${JSON.stringify(result.report, null, 2)}\n`)
      if (flags.series !== undefined) await writeFile(flags.series, `${JSON.stringify(result.series)}\n`)
      process.stdout.write(flags.json === true ? `${JSON.stringify(reportJson(result))}\n` : formatReport(result))
    })
}

/**
 * The one strategy `--strategy NAME --strategy-version ID` names, as registered: its parameters and its code
 * (a user's file as it was when registered, kept in the store). The registry is read from the session store,
 * opened read-only; `--param` is refused beside it, since a version's parameters are part of what it is.
 */
async function registeredSpec(flags: BacktestFlags, version: string): Promise<StrategySpec> {
  const [given, ...more] = flags.strategy
  if (given === undefined || more.length > 0) throw new InputError('--strategy-version runs one strategy: give --strategy NAME once')
  // A file path stands for the strategy it defines (the registry keys versions by strategy name).
  const [name] = looksLikePath(given) ? await resolveStrategyFlags([given], flags) : [given]
  if (name === undefined) throw new InputError(`--strategy ${given}: no strategy`)
  if (flags.param.length > 0) throw new InputError(`--param: a registered version runs with its own parameters; leave out --strategy-version to try others`)
  const { dataDir, db } = flags
  return withStore({ ...(dataDir !== undefined ? { dataDir } : {}), ...(db !== undefined ? { db } : {}) }, async (store) => {
    const registry = new StrategyRegistry(storeSink(store))
    const v = await registry.get(name, version)
    return { name, params: v.params, definition: await registry.definitionOf(v), version }
  })
}

/** A fresh store per run: a backtest's chain starts at genesis, so the same inputs give the same chain. */
async function openBacktestStore(flags: BacktestFlags): Promise<Store | undefined> {
  if (flags.store === 'none') return undefined
  if (flags.store === 'memory') return openStore({ dataDir: '', memory: true })
  const file = resolve(flags.store ?? join(dataDirOf(flags), 'backtest.db'))
  await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(file + suffix, { force: true })))
  return openStore({ dataDir: dirname(file), file })
}

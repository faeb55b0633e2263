/**
 * @module cli/commands/preflight
 * `sofia preflight [--json]`: one `[PASS]/[FAIL]/[WARN] name: detail` line per check; exit 1 on any FAIL.
 */
import type { Command } from 'commander'
import { runPreflight } from '../../system/index.js'
import { parseNonNegativeInt } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addExchangeOptions, exchangeSpec } from '../exchange-option.js'
import type { ExchangeFlags } from '../exchange-option.js'
import { addConfigOption, sessionConfig } from '../session-config.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'

interface Flags extends ExchangeFlags {
  json?: boolean
  maxDriftMs: string
  minFreeMb: string
  timeoutMs: string
  dataDir?: string
  db?: string
  config?: string
}

export function registerPreflight(program: Command): void {
  const cmd = program
    .command('preflight')
    .summary('check environment, exchange, clock, API key, risk limits, kill switch, database, metrics and disk')
    .option('--json', 'print the checks as JSON')
    .option('--max-drift-ms <ms>', 'largest clock drift against the exchange that passes', '1000')
    .option('--min-free-mb <mb>', 'least free disk in the data directory that passes', '500')
    .option('--timeout-ms <ms>', 'timeout of each exchange request', '5000')
  addConfigOption(addStoreOptions(addExchangeOptions(cmd))).action(async (flags: Flags) => {
    const { config } = await sessionConfig(flags)
    const exchange = flags.exchange !== undefined || config.exchange !== undefined ? exchangeSpec(config, flags) : undefined
    const checks = await runPreflight({
      config,
      exchange,
      openStore: () => openStoreFromFlags(flags, { create: false }),
      dataDir: dataDirOf(flags),
      maxDriftMs: parseNonNegativeInt('--max-drift-ms', flags.maxDriftMs),
      minFreeMb: parseNonNegativeInt('--min-free-mb', flags.minFreeMb),
      timeoutMs: parseNonNegativeInt('--timeout-ms', flags.timeoutMs),
    })
    const failed = checks.some((c) => c.status === 'FAIL')
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ ok: !failed, mode: config.mode, checks })}\n`)
    else for (const c of checks) process.stdout.write(`[${c.status}] ${c.name}: ${c.detail}\n`)
    if (failed) process.exitCode = EXIT_PROBLEM
  })
}

/**
 * @module cli/commands/paper
 * `sofia paper` (what `npm start` runs): paper trading on the synthetic market on the wall clock, with a live
 * one-line status until Ctrl-C (or --duration), then the session's summary.
 */
import type { Command } from 'commander'
import { DEMO_STRATEGIES, runPaper } from '../../system/index.js'
import type { RecoverySummary, SessionStatus } from '../../system/index.js'
import { addConfigOption, guardRailsOf, sessionConfig, strategySpecsOf } from '../session-config.js'
import { join } from 'node:path'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'
import { collect, parseNonNegativeInt } from '../args.js'
import { sessionStop } from '../session-stop.js'
import { formatReport, reportJson } from '../report-format.js'
import { prepareSessionRollback } from './rollback.js'

interface PaperFlags {
  strategy: string[]
  param: string[]
  seed?: string
  duration?: string
  stepMs?: string
  json?: boolean
  dataDir?: string
  db?: string
  config?: string
}

export function registerPaper(program: Command): void {
  const cmd = program
    .command('paper')
    .summary('paper-trade the built-in strategies on the synthetic market (the demo; npm start)')
    .description(
      'Paper trading on the seeded synthetic market (two venues, three symbols) on the wall clock, through the\n' +
        'simulated exchange. No keys, server or network. Prints a live status line; Ctrl-C stops and summarizes.\n' +
        `Default strategies: ${DEMO_STRATEGIES.map((s) => s.name).join(', ')}.`,
    )
    .option('--strategy <name>', 'run this strategy instead of the demo line-up (repeatable)', collect, [])
    .option('--param <key=value>', 'parameter for the --strategy strategies (repeatable)', collect, [])
    .option('--seed <n>', 'seed of the synthetic market (default 1)')
    .option('--duration <seconds>', 'stop after this many seconds (default: run until Ctrl-C)')
    .option('--step-ms <ms>', 'synthetic market step (default 100)')
    .option('--json', 'print the final summary as one JSON object (no live status)')
  addConfigOption(addStoreOptions(cmd)).action(async (flags: PaperFlags) => {
      const ending = sessionStop(flags.duration)
      const live = flags.json !== true
      const tty = process.stdout.isTTY === true
      const session = await sessionConfig(flags)
      const specs = await strategySpecsOf(flags, session.config)
      const store = await openStoreFromFlags(flags, { create: true })
      const rollback = await prepareSessionRollback(flags, store).catch(async (error: unknown) => {
        await store.close()
        throw error
      })
      try {
        const result = await runPaper({
          signal: ending.signal,
          store,
          onTrader: (trader) => void rollback.attach(trader),
          marketDir: join(dataDirOf(flags), 'market'),
          ...guardRailsOf(session),
          onAlert: (line: string) => process.stderr.write(`${tty ? '\n' : ''}${line}\n`),
          ...(live
            ? {
                onRecovered: (r: RecoverySummary) => {
                  if (r.epoch > 1) {
                    process.stdout.write(
                      `recovered session from ${store.location}: restart ${r.epoch - 1}, ${r.fillsReplayed} fills replayed, ` +
                        `${r.ordersRestored} working orders restored, ${r.ordersClosed} in-flight orders closed\n`,
                    )
                  }
                },
              }
            : {}),
          ...(specs.length > 0 ? { strategies: specs } : {}),
          ...(flags.seed !== undefined ? { seed: parseNonNegativeInt('--seed', flags.seed) } : {}),
          ...(flags.stepMs !== undefined ? { stepMs: parseNonNegativeInt('--step-ms', flags.stepMs) } : {}),
          ...(live ? { onStatus: (s: SessionStatus) => printStatus(s, tty) } : {}),
        })
        if (live && tty) process.stdout.write('\n')
        process.stdout.write(
          flags.json === true
            ? `${JSON.stringify({ ...reportJson(result), recovery: result.trader.recovery, store: store.location })}\n`
            : `\nsession summary (recorded in ${store.location})\n${formatReport(result)}`,
        )
      } finally {
        await rollback.close()
        await store.close()
        ending.release()
      }
    })
}

/** The live one-line status of `sofia paper` (and `sofia serve --demo`). */
export function printStatus(s: SessionStatus, tty: boolean): void {
  const positions = s.positions.map((p) => `${p.venue}:${p.symbol} ${p.amount}`).join(', ') || 'flat'
  const line =
    `[${(s.elapsedMs / 1000).toFixed(0).padStart(4)}s] P&L ${s.netPnl.toFixed(2)} ${s.currency}` +
    ` | fees ${s.fees.toFixed(2)} | fills ${s.fills} | open orders ${s.openOrders} | events ${s.events} | ${positions}`
  // On a terminal the status rewrites one line; in a pipe or log it is one line per update.
  process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`)
}

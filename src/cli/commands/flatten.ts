/**
 * @module cli/commands/flatten
 * `sofia flatten [--strategy S] [--symbol X] --reason R`: close positions with reducing market orders. The
 * one way to trade while the kill switch halts trading — an explicit operator action, audited with its
 * actor and reason. It needs a running session (which sends the orders through its risk engine).
 */
import type { Command } from 'commander'
import type { FlattenResult } from '../../system/index.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'

interface Flags extends OperatorFlags {
  reason: string
  strategy?: string
  symbol?: string
}

function describe(r: FlattenResult): string {
  if (r.positions === 0) return 'nothing to flatten: no open position matches'
  const lines = r.orders.map(
    (o) => `  ${o.strategyId} ${o.venue}:${o.symbol} ${o.side} ${o.amount} market: ${o.code === null ? `sent (${o.clientOrderId ?? '?'})` : `denied: ${o.reason ?? o.code}`}`,
  )
  return [`flatten: ${r.orders.length - r.denied} of ${r.orders.length} closing orders sent`, ...lines].join('\n')
}

export function registerFlatten(program: Command): void {
  addOperatorOptions(
    program
      .command('flatten')
      .summary('close positions with reducing market orders; allowed while halted (audited)')
      .requiredOption('--reason <text>', 'why (recorded with your name)')
      .option('--strategy <id>', "only this strategy's positions")
      .option('--symbol <symbol>', 'only this symbol, e.g. BTC/USDT'),
  ).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const args = { reason: flags.reason, ...(flags.strategy !== undefined ? { strategy: flags.strategy } : {}), ...(flags.symbol !== undefined ? { symbol: flags.symbol } : {}) }
      const r = await c.execute('positions.flatten', args, actorOf(flags))
      printResult(flags, r, (res) => describe(res as FlattenResult))
    })
  })
}

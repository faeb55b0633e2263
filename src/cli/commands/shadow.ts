/**
 * @module cli/commands/shadow
 * `sofia shadow status|promote|rollback`: the running session's trading mode, shadow vs live P&L and shadow
 * order count; switching it (through the control channel, audited with your name).
 */
import type { Command } from 'commander'
import { ROUTER_MODES, SESSION_MODE_KEY, SHADOW_STATUS_KEY } from '../../system/index.js'
import type { RouterStatus } from '../../system/index.js'
import { addConfigOption } from '../session-config.js'
import { addStoreOptions, openStoreFromFlags } from '../store-option.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { InputError } from '../../model/index.js'

interface Flags extends OperatorFlags {
  to?: string
  percentage?: string
  reason?: string
}

function describeStatus(s: RouterStatus): string {
  const leg = (name: string, l: RouterStatus['legs']['sim']): string =>
    `  ${name.padEnd(6)} orders ${l.orders}, fills ${l.fills} (${l.filledAmount}), net P&L ${l.net} (realized ${l.realized}, unrealized ${l.unrealized}, fees ${l.fees})`
  return [
    `mode ${s.mode} on ${s.venue} (canary ${s.canaryPercentage}%)`,
    `shadow orders recorded: ${s.shadowOrders}${s.canarySkipped > 0 ? `, canary legs skipped below minimums: ${s.canarySkipped}` : ''}`,
    leg('shadow', s.legs.sim),
    leg('live', s.legs.live),
  ].join('\n')
}

export function registerShadow(program: Command): void {
  const shadow = program.command('shadow').summary('shadow/canary/live mode of the running session: status, promote, rollback')

  addConfigOption(addStoreOptions(shadow.command('status').summary('mode, shadow vs live P&L, shadow order count').option('--json', 'print JSON'))).action(
    async (flags: Flags) => {
      const store = await openStoreFromFlags(flags, { create: false })
      try {
        const status = await store.getState<RouterStatus>(SHADOW_STATUS_KEY)
        const mode = await store.getState<string>(SESSION_MODE_KEY)
        if (status === undefined || status === null) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify({ mode: mode ?? null, status: null })}\n`)
          else process.stdout.write(`no exchange session recorded in ${store.location}${mode ? ` (mode ${mode})` : ''}\n`)
          return
        }
        process.stdout.write(flags.json === true ? `${JSON.stringify(status)}\n` : `${describeStatus(status)}\n`)
      } finally {
        await store.close()
      }
    },
  )

  addOperatorOptions(
    shadow
      .command('promote')
      .summary('switch the running session to another mode (open orders are cancelled first)')
      .requiredOption('--to <mode>', `one of ${ROUTER_MODES.join(', ')}`)
      .option('--percentage <n>', 'with --to canary: the share of each order sent to the exchange, (0, 100] (default CANARY_PERCENTAGE); in canary already, changes it')
      .option('--reason <text>', 'why (recorded)'),
  ).action(async (flags: Flags) => {
    if (!(ROUTER_MODES as readonly string[]).includes(flags.to ?? '')) throw new InputError(`--to: expected one of ${ROUTER_MODES.join(', ')}, got '${flags.to}'`)
    let percentage: number | undefined
    if (flags.percentage !== undefined) {
      percentage = Number(flags.percentage)
      if (flags.to !== 'canary') throw new InputError(`--percentage: only with --to canary`)
      if (!(percentage > 0 && percentage <= 100)) throw new InputError(`--percentage: expected a number in (0, 100], got '${flags.percentage}'`)
    }
    await withConsole(flags, async (c) => {
      const r = await c.execute('mode.set', { mode: flags.to, reason: flags.reason ?? '', ...(percentage !== undefined ? { percentage } : {}) }, actorOf(flags))
      printResult(flags, r, (res) => {
        const x = res as { from?: string; to?: string; cancelled?: number; percentage?: number; status?: { canaryPercentage?: number } }
        const pctText = x.to === 'canary' && x.status?.canaryPercentage !== undefined ? ` at ${x.status.canaryPercentage}%` : ''
        return x.from !== undefined ? `mode ${x.from} → ${x.to}${pctText} (${x.cancelled ?? 0} open orders cancelled)` : 'mode change started'
      })
    })
  })

  addOperatorOptions(
    shadow.command('rollback').summary('back to shadow from canary/live: cancel live orders, keep positions, continue in shadow').option('--reason <text>', 'why (recorded)'),
  ).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const r = await c.execute('shadow.rollback', { reason: flags.reason ?? '' }, actorOf(flags))
      printResult(flags, r, (res) => {
        const x = res as { from?: string; cancelled?: number }
        return x.from !== undefined ? `rolled back ${x.from} → shadow (${x.cancelled ?? 0} open orders cancelled; positions kept)` : 'rollback started'
      })
    })
  })
}

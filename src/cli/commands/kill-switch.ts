/**
 * @module cli/commands/kill-switch
 * `sofia kill-switch status|activate|deactivate|history`.
 */
import type { Command } from 'commander'
import type { KillSwitchEvent, KillSwitchState } from '../../risk/index.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'

interface Flags extends OperatorFlags {
  reason?: string
  acknowledgeLoss?: boolean
}

function describe(state: KillSwitchState & { mode?: string }): string {
  const mode = state.mode !== undefined ? ` (mode ${state.mode})` : ''
  if (!state.active) return `kill switch INACTIVE${mode}`
  const since = state.since === null ? '' : ` since ${new Date(state.since).toISOString()}`
  return `kill switch ACTIVE${mode}${since}: ${state.trigger ?? '?'} by ${state.actor ?? '?'}: ${state.reason ?? ''}`
}

export function registerKillSwitch(program: Command): void {
  const ks = program.command('kill-switch').summary('show, activate or deactivate the kill switch, and its history')

  addOperatorOptions(ks.command('status').summary('the kill switch state and whether a session is running')).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const s = await c.status()
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ killSwitch: s.killSwitch, session: s.session })}\n`)
      else {
        process.stdout.write(`${describe(s.killSwitch)}\n`)
        process.stdout.write(s.session === null ? 'no session running\n' : `session running: pid ${s.session.pid} on ${s.session.host} (${s.session.mode})\n`)
      }
    })
  })

  addOperatorOptions(
    ks
      .command('activate')
      .summary('halt: no order of any kind leaves Sofia (only cancels, and flatten); cancel every open order')
      .requiredOption('--reason <text>', 'why (recorded with your name)'),
  ).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const r = await c.execute('kill_switch.activate', { reason: flags.reason }, actorOf(flags))
      printResult(flags, r, (res) => describe((res as { state: KillSwitchState }).state))
    })
  })

  addOperatorOptions(
    ks
      .command('deactivate')
      .summary('resume: needs a reason and no breach still standing (exit 1 naming what blocks it)')
      .requiredOption('--reason <text>', 'why (recorded with your name)')
      .option(
        '--acknowledge-loss',
        "accept today's loss so far (a daily-loss halt): the limit then applies to further losses today (recorded)",
      ),
  ).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const args = { reason: flags.reason, ...(flags.acknowledgeLoss === true ? { acknowledgeLoss: true } : {}) }
      const r = await c.execute('kill_switch.deactivate', args, actorOf(flags))
      printResult(flags, r, (res) => describe((res as { state: KillSwitchState }).state))
    })
  })

  addOperatorOptions(ks.command('history').summary('every activation and deactivation, oldest first')).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const events: readonly KillSwitchEvent[] = await c.history()
      if (flags.json === true) process.stdout.write(`${JSON.stringify(events)}\n`)
      else if (events.length === 0) process.stdout.write('no kill switch activity\n')
      else {
        for (const e of events) {
          process.stdout.write(`${new Date(e.at).toISOString()}  ${e.action.padEnd(11)}  ${(e.trigger ?? '-').padEnd(14)}  ${e.actor}  ${e.reason}\n`)
        }
      }
    })
  })
}

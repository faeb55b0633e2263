/**
 * @module cli/commands/trading-control
 * The graceful and the emergency stop: `sofia live-toggle on|off`, `sofia wait-for-flat`, `sofia pilot-off`,
 * plus `sofia risk override` (position size multiplier) and `sofia status`.
 */
import type { Command } from 'commander'
import type { OperatorConsole, SafetyStatus } from '../../system/index.js'
import { InputError } from '../../model/index.js'
import { describeEmulated } from '../../execution/index.js'
import { parseNonNegativeNumber } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'

interface Flags extends OperatorFlags {
  reason?: string
  strategy?: string
  timeout?: string
  multiplier?: string
}

export function registerTradingControl(program: Command): void {
  addOperatorOptions(
    program
      .command('live-toggle')
      .summary('off: stop new entries (only exposure-reducing orders); on: trade normally again')
      .argument('<on|off>', 'on = ACTIVE, off = REDUCING')
      .option('--strategy <id>', 'only this strategy (default: the whole account)')
      .option('--reason <text>', 'why (recorded)'),
  ).action(async (onOff: string, flags: Flags) => {
    if (onOff !== 'on' && onOff !== 'off') throw new InputError(`live-toggle: expected 'on' or 'off', got '${onOff}'`)
    await withConsole(flags, async (c) => {
      const state = onOff === 'on' ? 'ACTIVE' : 'REDUCING'
      const args = { state, ...(flags.strategy !== undefined ? { strategyId: flags.strategy } : {}), reason: flags.reason ?? '' }
      const r = await c.execute('trading_state.set', args, actorOf(flags))
      printResult(flags, r, () => `${flags.strategy ?? 'account'} trading state: ${state}`)
    })
  })

  addOperatorOptions(
    program
      .command('wait-for-flat')
      .summary('wait until every position is flat and no order is open, or report what is still open (exit 1)')
      .option('--timeout <seconds>', 'give up after this long (default 300)'),
  ).action(async (flags: Flags) => {
    const timeoutMs = parseNonNegativeNumber('--timeout', flags.timeout ?? '300') * 1000
    await withConsole(flags, async (c) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const open = await whatIsOpen(c)
        if (open.positions.length === 0 && open.openOrders === 0) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify({ flat: true })}\n`)
          else process.stdout.write('flat: no positions, no open orders\n')
          return
        }
        if (Date.now() >= deadline) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify({ flat: false, ...open })}\n`)
          else {
            process.stdout.write(`not flat after ${timeoutMs / 1000}s: ${open.openOrders} open orders\n`)
            for (const p of open.positions) process.stdout.write(`  ${p.venue} ${p.symbol} ${p.amount}\n`)
          }
          process.exitCode = EXIT_PROBLEM
          return
        }
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    })
  })

  addOperatorOptions(
    program
      .command('pilot-off')
      .summary('emergency stop: kill switch on, cancel every order, end the running session')
      .option('--reason <text>', 'why (default: pilot-off)'),
  ).action(async (flags: Flags) => {
    await withConsole(flags, async (c) => {
      const r = await c.execute('shutdown', { reason: flags.reason ?? 'pilot-off: emergency stop' }, actorOf(flags))
      printResult(flags, r, () => (r.via === 'session' ? 'kill switch ACTIVE, orders cancelled, session stopping' : 'kill switch ACTIVE'))
    })
  })

  const risk = program.command('risk').summary('risk controls: position size override')
  addOperatorOptions(
    risk
      .command('override')
      .summary('set the position size multiplier (0–1) for the account or a strategy; 1 removes it')
      .requiredOption('--multiplier <m>', 'e.g. 0.1 for 10% size')
      .option('--strategy <id>', 'only this strategy'),
  ).action(async (flags: Flags) => {
    // A value out of range is bad input (exit 2, one line), not a refusal of the session.
    const m = Number(flags.multiplier)
    if (flags.multiplier === undefined || flags.multiplier.trim() === '' || !Number.isFinite(m) || m < 0 || m > 1) {
      throw new InputError(`--multiplier: expected a number from 0 to 1, got ${JSON.stringify(flags.multiplier)}`)
    }
    await withConsole(flags, async (c) => {
      const args = { multiplier: flags.multiplier, ...(flags.strategy !== undefined ? { strategyId: flags.strategy } : {}) }
      const r = await c.execute('position_override.set', args, actorOf(flags))
      printResult(flags, r, (res) => `position override: ${JSON.stringify(res)}`)
    })
  })

  addOperatorOptions(program.command('status').summary('kill switch, trading states, positions, open orders, monitors and breakers')).action(
    async (flags: Flags) => {
      await withConsole(flags, async (c) => {
        const session = await c.session()
        const r = session === undefined ? undefined : await c.execute('status', {}, actorOf(flags))
        const live = r?.ok === true ? (r.result as SafetyStatus) : undefined
        const offline = live === undefined ? await c.status() : undefined
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify({ session: session ?? null, ...(live ?? offline) })}\n`)
          return
        }
        process.stdout.write(session === undefined ? 'session: none running\n' : `session: pid ${session.pid} on ${session.host} (${session.mode})\n`)
        const ks = live?.killSwitch ?? offline!.killSwitch
        process.stdout.write(`kill switch: ${ks.active ? `ACTIVE (${ks.trigger}: ${ks.reason})` : 'inactive'} [mode ${ks.mode}]\n`)
        const states = live?.tradingStates ?? offline!.tradingStates
        process.stdout.write(`trading state: ${states.account}${Object.keys(states.strategies).length > 0 ? ` ${JSON.stringify(states.strategies)}` : ''}\n`)
        const positions = live?.positions ?? offline!.positions
        process.stdout.write(`positions: ${positions.length === 0 ? 'flat' : positions.map((p) => `${p.venue}:${p.symbol} ${p.amount}`).join(', ')}\n`)
        process.stdout.write(`open orders: ${live?.openOrders ?? offline!.openOrders.length}\n`)
        const emulated = live?.emulatedOrders ?? offline!.emulatedOrders
        if (emulated.length > 0) {
          process.stdout.write(`emulated orders (waiting in Sofia, not on the exchange): ${emulated.length}\n`)
          for (const e of emulated) process.stdout.write(`  ${e.id} ${e.strategyId}: ${describeEmulated(e)}\n`)
        }
        if (live !== undefined) {
          process.stdout.write(`daily P&L: ${live.dailyPnl}\n`)
          for (const m of live.monitors) process.stdout.write(`monitor ${m.name}${m.feed !== undefined ? `:${m.feed}` : ''}: ${m.level} (${m.detail})\n`)
          for (const b of live.breakers) process.stdout.write(`breaker ${b.key}: ${b.state}\n`)
        }
      })
    },
  )
}

async function whatIsOpen(c: OperatorConsole): Promise<{ positions: readonly { venue: string; symbol: string; amount: string }[]; openOrders: number }> {
  if ((await c.session()) !== undefined) {
    const r = await c.execute('status', {}, 'operator:wait-for-flat')
    if (r.ok) {
      const s = r.result as SafetyStatus
      return { positions: s.positions, openOrders: s.openOrders }
    }
  }
  const s = await c.status()
  return { positions: s.positions, openOrders: s.openOrders.length }
}

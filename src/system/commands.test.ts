/**
 * @module system/commands.test
 * Operator commands are read once, typed: what each command takes, and the one line a bad argument gets.
 */
import { describe, expect, it } from 'vitest'
import { parseCommand } from './commands.js'
import type { OperatorCommand } from './commands.js'
import { CONTROL_COMMANDS } from './control.js'
import type { ControlCommand } from './control.js'

const ok = (command: ControlCommand, args: Record<string, unknown>): OperatorCommand => {
  const r = parseCommand(command, args, 'operator:test')
  if (!r.ok) throw new Error(r.error)
  return r.value
}
const error = (command: ControlCommand, args: Record<string, unknown>): string => {
  const r = parseCommand(command, args, 'operator:test')
  if (r.ok) throw new Error(`${command} ${JSON.stringify(args)} was taken`)
  return r.error
}

describe('parseCommand', () => {
  it('reads every command of the control vocabulary', () => {
    const minimal: Record<ControlCommand, Record<string, unknown>> = {
      'kill_switch.activate': { reason: 'r' },
      'kill_switch.deactivate': {},
      'trading_state.set': { state: 'HALTED' },
      'position_override.set': { multiplier: 0.5 },
      'orders.cancel_all': {},
      'orders.cancel': { clientOrderId: 'x' },
      'orders.place': { reason: 'r', venue: 'v', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.1' },
      status: {},
      shutdown: {},
      'reconciliation.failed': { reason: 'r' },
      'positions.flatten': { reason: 'r' },
      'mode.set': { mode: 'live' },
      'shadow.rollback': {},
      resync: {},
      rollback: { reason: 'r' },
      'audit.append': { type: 'registry.registered', payload: { strategy: 's' } },
    }
    for (const c of CONTROL_COMMANDS) expect(ok(c, minimal[c]).command).toBe(c)
    expect(error('bogus' as ControlCommand, {})).toBe("unknown command 'bogus'")
  })

  it('gives each command its arguments typed', () => {
    const place = ok('orders.place', { reason: 'hedge', venue: 'binance', symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: 2, price: '60000.5' })
    expect(place.command === 'orders.place' && [place.args.amount.toString(), place.args.price?.toString(), place.args.triggerPrice]).toEqual(['2', '60000.5', undefined])
    const state = ok('trading_state.set', { state: 'REDUCING', strategyId: 'mm', reason: 42 })
    expect(state.args).toEqual({ state: 'REDUCING', strategyId: 'mm', reason: '' })
    expect(ok('position_override.set', { multiplier: '0.25' }).args).toEqual({ multiplier: '0.25', reason: '' })
    expect(ok('mode.set', { mode: 'canary', percentage: '10' }).args).toEqual({ mode: 'canary', percentage: 10, reason: '' })
    expect(ok('resync', { adopt: true }).args).toEqual({ adopt: true, reason: '' })
    // The rollback procedure reads the rest of its own arguments.
    expect(ok('rollback', { reason: 'r', targetVersion: 'v1' }).args).toEqual({ reason: 'r', targetVersion: 'v1' })
  })

  it('refuses a bad argument in one line naming it', () => {
    expect(error('kill_switch.activate', {})).toBe('a reason is required')
    expect(error('kill_switch.activate', { reason: '   ' })).toBe('a reason is required')
    expect(error('positions.flatten', { reason: null })).toBe('a reason is required')
    expect(error('trading_state.set', { state: 'HALTED!' })).toBe('state must be one of ACTIVE, REDUCING, HALTED')
    expect(error('trading_state.set', { state: 'HALTED', strategyId: 7 })).toMatch(/^strategyId: .*string/)
    expect(error('kill_switch.deactivate', { acknowledgeLoss: 'yes' })).toMatch(/^acknowledgeLoss: .*boolean/)
    expect(error('orders.cancel', {})).toBe('clientOrderId is required')
    expect(error('orders.cancel', { clientOrderId: '' })).toBe('clientOrderId is required')
    expect(error('position_override.set', { multiplier: 5 })).toBe('multiplier must be a number from 0 to 1, got 5')
    expect(error('position_override.set', {})).toBe('multiplier must be a number from 0 to 1, got undefined')
    expect(error('audit.append', {})).toMatch(/^audit\.append: args\.type must be a record type .* got undefined$/)
    expect(error('audit.append', { type: 'Bad Type' })).toMatch(/^audit\.append: args\.type must be a record type .* got "Bad Type"$/)
    expect(error('mode.set', { mode: 'prod' })).toBe('mode must be one of paper, shadow, canary, live, testnet')
    expect(error('mode.set', { mode: 'canary', percentage: 0 })).toBe('percentage must be in (0, 100], got 0')
    expect(error('mode.set', { mode: 'live', percentage: 10 })).toBe('percentage: only with mode canary (got mode live)')
    expect(error('resync', { adopt: 'yes' })).toMatch(/^adopt: .*boolean/)
    const ticket = { reason: 'r', venue: 'v', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '1', price: '100' }
    expect(error('orders.place', { ...ticket, reason: '' })).toBe('a reason is required')
    expect(error('orders.place', { ...ticket, venue: '' })).toBe('venue and symbol are required')
    expect(error('orders.place', { ...ticket, side: 'long' })).toBe('side must be buy or sell')
    expect(error('orders.place', { ...ticket, side: undefined })).toBe('side must be buy or sell')
    expect(error('orders.place', { ...ticket, type: 'stop' })).toBe('type must be market or limit')
    expect(error('orders.place', { ...ticket, amount: '-1' })).toBe("amount must be a positive decimal, got '-1'")
    expect(error('orders.place', { ...ticket, amount: undefined })).toBe('amount is required')
    expect(error('orders.place', { ...ticket, price: undefined })).toBe('a limit order needs a price')
    expect(error('orders.place', { ...ticket, type: 'market' })).toBe('a market order takes no price')
  })
})

/**
 * @module cli/commands/resync
 * `sofia resync`: bring the session's orders and fills in line with the exchange. With a session running it
 * asks the session (control channel); without one it recovers the recorded session from the store, asks the
 * exchange, and records the corrections in the store (audited with your name).
 */
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { Trader, liveSession, resync } from '../../system/index.js'
import type { ResyncSummary } from '../../system/index.js'
import { WallClock } from '../../engine/index.js'
import { addExchangeOptions, exchangeSpec } from '../exchange-option.js'
import type { ExchangeFlags } from '../exchange-option.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { sessionConfig } from '../session-config.js'
import { openStoreFromFlags } from '../store-option.js'

interface Flags extends OperatorFlags, ExchangeFlags {
  symbols: string
  venue?: string
  adopt?: boolean
}

function describe(s: ResyncSummary): string {
  return `resync ${s.venue}: ${s.fillsApplied} fills applied, ${s.ordersUpdated} orders updated, ${s.ordersClosed} orders closed, ${s.unknownOpen.length} open orders not ours${s.unknownOpen.length > 0 ? ` (${s.unknownOpen.join(', ')})` : ''}, ${s.foreignFills} fills of orders not ours${s.fillsAdopted > 0 ? `, ${s.fillsAdopted} adopted as external fills` : ''}`
}

export function registerResync(program: Command): void {
  addOperatorOptions(
    addExchangeOptions(
      program
        .command('resync')
        .summary('fetch open orders and recent fills from the exchange and correct the recorded state (audited)')
        .option('--symbols <list>', 'symbols to resync when no session runs', 'BTC/USDT')
        .option('--venue <id>', 'venue id of the records (default: the exchange id)')
        .option('--adopt', "take in the account's fills of orders that are not Sofia's as external fills (strategy 'external'), audited"),
    ),
  ).action(async (flags: Flags) => {
    const probe = await openStoreFromFlags(flags, { create: false })
    const running = (await liveSession(probe)) !== undefined
    await probe.close()
    if (running) {
      await withConsole(flags, async (c) => {
        const r = await c.execute('resync', flags.adopt === true ? { adopt: true } : {}, actorOf(flags))
        printResult(flags, r, (res) => describe(res as ResyncSummary))
      })
      return
    }
    const { config, risk } = await sessionConfig(flags)
    const spec = exchangeSpec(config, flags, 'live')
    if (spec.apiKey === undefined || spec.secret === undefined) throw new InputError('resync needs API_KEY and API_SECRET')
    const venueId = flags.venue ?? spec.exchangeId
    const symbols = flags.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const store = await openStoreFromFlags(flags, { create: false })
    const { CcxtVenue, createCcxtExchange } = await import('../../venues/ccxt.js')
    const venue = await CcxtVenue.connect({ id: venueId, exchange: createCcxtExchange(spec), symbols, watch: false, pollMs: 3_600_000 })
    try {
      const instruments = [...venue.instruments()]
      const trader = await Trader.create({
        clock: new WallClock(),
        venues: [{ id: venueId, instruments, balances: {}, venue }],
        strategies: [],
        reportingCurrency: instruments[0]!.quote,
        equitySampleMs: 60_000,
        mode: 'resync',
        store,
        riskSettings: risk,
      })
      const summary = await resync(trader, venue, { actor: actorOf(flags), adopt: flags.adopt === true })
      printResult(flags, { ok: true, result: summary, via: 'store' }, (res) => describe(res as ResyncSummary))
    } finally {
      await venue.close()
      await store.close()
    }
  })
}

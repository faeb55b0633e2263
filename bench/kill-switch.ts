/**
 * @module bench/kill-switch
 * From a kill-switch trip to every open order cancelled on the simulated exchange, on the wall clock:
 * a session with 20 resting orders is tripped, and the time until the venue reports the last one cancelled
 * is measured, many times. (On the simulated clock it is within one engine event; see test/risk.e2e.)
 */
import { WallClock } from '../src/engine/index.js'
import { makeInstrument } from '../src/model/index.js'
import type { Strategy, StrategyContext } from '../src/strategy/index.js'
import { Trader } from '../src/system/index.js'

const BTC = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001' })
const ORDERS = 20

class Ladder implements Strategy {
  readonly id = 'ladder'
  onStart(ctx: StrategyContext): void {
    for (let i = 0; i < ORDERS; i++) ctx.submit({ venue: 'sim', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.01', price: String(40_000 - i) })
  }
}

export async function benchKillSwitch(opts: { rounds?: number } = {}): Promise<Record<string, number>> {
  const rounds = opts.rounds ?? 300
  const samples: number[] = []
  // The wall clock's timers do not hold the process open (a stopping session must not wait on them).
  const keepAlive = setInterval(() => undefined, 1_000)
  for (let r = 0; r < rounds; r++) {
    const trader = await Trader.create({
      clock: new WallClock(),
      venues: [{ id: 'sim', instruments: [BTC], balances: { USDT: '1000000' } }],
      strategies: [new Ladder()],
      reportingCurrency: 'USDT',
      equitySampleMs: 60_000,
    })
    const venue = trader.venues[0]!
    let stop!: () => void
    const running = trader.run({
      async *[Symbol.asyncIterator]() {
        yield [{ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: Date.now(), price: 40_000, amount: 1 }]
        await new Promise<void>((resolve) => (stop = resolve))
      },
    })
    while ((await venue.fetchOpenOrders()).length < ORDERS) await new Promise((resolve) => setImmediate(resolve))
    const done = new Promise<number>((resolve) => {
      let cancelled = 0
      trader.engine.bus.on('order', ({ event }) => {
        if (event.type === 'canceled' && ++cancelled === ORDERS) resolve(performance.now())
      })
    })
    const t0 = performance.now()
    trader.safety.activate('daily_loss', 'bench', 'system')
    samples.push(((await done) - t0) * 1000)
    stop()
    await running
  }
  clearInterval(keepAlive)
  samples.sort((a, b) => a - b)
  const q = (p: number): number => Math.round(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!)
  return { rounds, open_orders: ORDERS, p50_us: q(0.5), p99_us: q(0.99), max_us: Math.round(samples[samples.length - 1]!) }
}

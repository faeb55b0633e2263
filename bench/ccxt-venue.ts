/**
 * @module bench/ccxt-venue
 * Round trip through CcxtVenue (the CCXT adapter) against the local exchange on loopback: createOrder (a
 * marketable limit) + its fill delivered to the listener + fetchOrder. Adapter overhead is the time spent
 * in createOrder + fetchOrder outside ccxt's HTTP transport (`exchange.fetch`): ccxt's signing and parsing
 * plus the adapter's own work (waiting for the pushed fill is not counted).
 */
import { ExchangeSimServer, FaultInjector, SimExchange } from '../src/exchange-sim/index.js'
import { symbolSpec } from '../src/exchange-sim/symbols.js'
import { dec } from '../src/model/index.js'
import { CcxtVenue, createCcxtExchange } from '../src/venues/ccxt.js'

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

export async function benchCcxtVenue(roundTrips = 300): Promise<{ roundtrip_p50_ms: number; roundtrip_p99_ms: number; adapter_overhead_p99_ms: number }> {
  const sim = new SimExchange({
    seed: 1,
    symbols: [symbolSpec('BTC/USDT')],
    accounts: [{ apiKey: 'BENCH', secret: 'BENCHSECRET' }],
    balances: { USDT: '100000000', BTC: '1000' },
    makerFee: '0.001',
    takerFee: '0.001',
    maker: { scale: 1, offset: 0, stepBps: 2, levels: 10, tradeProbability: 0 },
  })
  const server = new ExchangeSimServer({ exchange: sim, faults: new FaultInjector(1), host: '127.0.0.1', port: 0, tickMs: 0 })
  const { url } = await server.start()
  const exchange = createCcxtExchange({ exchangeId: 'binance', apiKey: 'BENCH', secret: 'BENCHSECRET', url })
  // Time inside the HTTP transport, per request.
  let inHttp = 0
  const ex = exchange as unknown as { fetch: (...args: unknown[]) => Promise<unknown> }
  const transport = ex.fetch.bind(exchange)
  ex.fetch = async (...args: unknown[]) => {
    const t0 = performance.now()
    try {
      return await transport(...args)
    } finally {
      inHttp += performance.now() - t0
    }
  }
  const venue = await CcxtVenue.connect({ id: 'bench', exchange, symbols: ['BTC/USDT'], pollMs: 3_600_000 })
  const filled = new Set<string>()
  let waiting: { id: string; resolve: () => void } | undefined
  venue.subscribe({
    onOrder: () => undefined,
    onTrade: (t) => {
      filled.add(t.clientOrderId)
      if (waiting?.id === t.clientOrderId) waiting.resolve()
    },
  })
  try {
    const times: number[] = []
    const overheads: number[] = []
    const tag = Date.now().toString(36)
    for (let i = 0; i < roundTrips + 20; i++) {
      const d = sim.depth('BTCUSDT', 1)
      const side = i % 2 === 0 ? 'buy' : 'sell'
      const price = side === 'buy' ? d.asks[0]![0] : d.bids[0]![0]
      const id = `b-${tag}-${i}`
      inHttp = 0
      const t0 = performance.now()
      const fill = new Promise<void>((resolve) => (filled.has(id) ? resolve() : (waiting = { id, resolve })))
      await venue.createOrder({ clientOrderId: id, symbol: 'BTC/USDT', type: 'limit', side, amount: dec('0.001'), price })
      const created = performance.now() - t0
      await fill
      const t1 = performance.now()
      const o = await venue.fetchOrder(id, 'BTC/USDT')
      const fetched = performance.now() - t1
      const dt = performance.now() - t0
      if (o.status !== 'closed') throw new Error(`bench order ${id} did not fill: ${o.status}`)
      if (i >= 20) {
        times.push(dt)
        overheads.push(Math.max(0, created + fetched - inHttp))
      }
    }
    times.sort((a, b) => a - b)
    overheads.sort((a, b) => a - b)
    return { roundtrip_p50_ms: percentile(times, 50), roundtrip_p99_ms: percentile(times, 99), adapter_overhead_p99_ms: percentile(overheads, 99) }
  } finally {
    await venue.close()
    await server.close()
  }
}

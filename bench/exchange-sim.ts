/**
 * @module bench/exchange-sim
 * Round trip through the real ccxt `binance` client against the local exchange on loopback: createOrder (a
 * marketable limit that fills at once) + fetchOrder, measured per pair. The simulator runs in-process with
 * a frozen market, so the figure is ccxt + HTTP + signing + matching, not market noise.
 */
import { ccxtBinanceClient } from '../src/venues/ccxt-client.js'
import { ExchangeSimServer, FaultInjector, SimExchange } from '../src/exchange-sim/index.js'
import { symbolSpec } from '../src/exchange-sim/symbols.js'

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

export async function benchExchangeSim(roundTrips = 300): Promise<{ roundtrip_p50_ms: number; roundtrip_p99_ms: number }> {
  const exchange = new SimExchange({
    seed: 1,
    symbols: [symbolSpec('BTC/USDT')],
    accounts: [{ apiKey: 'BENCH', secret: 'BENCHSECRET' }],
    balances: { USDT: '100000000', BTC: '1000' },
    makerFee: '0.001',
    takerFee: '0.001',
    maker: { scale: 1, offset: 0, stepBps: 2, levels: 10, tradeProbability: 0 },
  })
  const server = new ExchangeSimServer({ exchange, faults: new FaultInjector(1), host: '127.0.0.1', port: 0, tickMs: 0 })
  const { url } = await server.start()
  const client = ccxtBinanceClient(url, 'BENCH', 'BENCHSECRET')
  try {
    await client.loadMarkets()
    const times: number[] = []
    for (let i = 0; i < roundTrips + 20; i++) {
      const book = await client.fetchOrderBook('BTC/USDT', 1)
      const side = i % 2 === 0 ? 'buy' : 'sell'
      const price = side === 'buy' ? book.asks[0]![0]! : book.bids[0]![0]!
      const t0 = performance.now()
      const order = await client.createOrder('BTC/USDT', 'limit', side, 0.001, price)
      const fetched = await client.fetchOrder(String(order.id), 'BTC/USDT')
      const dt = performance.now() - t0
      if (fetched.status !== 'closed') throw new Error(`bench order ${order.id} did not fill: ${fetched.status}`)
      if (i >= 20) times.push(dt) // the first ones warm up the JIT and the keep-alive connection
    }
    times.sort((a, b) => a - b)
    const round = (n: number): number => Math.round(n * 1000) / 1000
    return { roundtrip_p50_ms: round(percentile(times, 50)), roundtrip_p99_ms: round(percentile(times, 99)) }
  } finally {
    await client.close()
    await server.close()
  }
}

/**
 * @module bench/ccxt-venue
 * Round trip through CcxtVenue (the CCXT adapter) against the local exchange on loopback. The exchange runs
 * as its own process (`sofia exchange-sim` from the built CLI, as a user's exchange would), so its request
 * handling, WebSocket pushes and garbage collection do not share this process's event loop and heap.
 *
 * The market is quiet (`--tick-ms 0`: the price moves only when told; `--trade-probability 0`), so a
 * marketable limit order fills at once and deterministically. Its price (the best opposite quote) is read
 * from the exchange's `/api/v3/depth` before each round trip, outside the timed window. The adapter runs
 * with its user stream (ccxt.pro `watchOrders`/`watchMyTrades`) and its REST backstop poll set to an hour
 * (it never fires); its fill backfill (a `fetchMyTrades` 250 ms after an update that ran ahead of its fills)
 * stays on, as in production.
 *
 * One round trip: `venue.createOrder` (a limit order of 0.001 BTC at the best opposite quote, buy and sell
 * alternately) + waiting for its fill to reach the venue listener (pushed by the user stream) +
 * `venue.fetchOrder`. 1 000 timed round trips after 20 warm-up ones (and a full GC when run with
 * --expose-gc). Reported, in ms, wall clock:
 * - `roundtrip_p50_ms`, `roundtrip_p99_ms`: the whole round trip.
 * - `adapter_overhead_p50_ms`, `adapter_overhead_p99_ms`: per round trip, the time in `venue.createOrder` +
 *   `venue.fetchOrder` minus the time in their two HTTP calls (ccxt's transport `exchange.fetch` for
 *   POST/GET `/api/v3/order`, from call to parsed body). That is everything outside the HTTP call: ccxt's
 *   request building, signing and order parsing, the adapter's own work, and whatever else holds this
 *   process meanwhile (GC, the scheduler). Waiting for the pushed fill is not counted.
 * - `ccxt_overhead_*`: the ccxt part: time inside ccxt's `createOrder` + `fetchOrder` minus the same HTTP
 *   calls.
 * - `adapter_own_*`: the adapter part: time in `venue.createOrder` + `venue.fetchOrder` outside ccxt's
 *   `createOrder`/`fetchOrder` (checks against the instrument, tracking, the answers as exact Decimals).
 * - `bare_ccxt_roundtrip_p50_ms`, `bare_ccxt_overhead_*`: for comparison, the same orders through ccxt
 *   alone (`exchange.createOrder` + `exchange.fetchOrder` back to back, no adapter, no user stream) on a
 *   second client of the same exchange process; overhead as above (time outside the two HTTP calls).
 * Each figure is its own percentile over the round trips: the p99 of a sum is not the sum of the p99s.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Exchange } from 'ccxt'
import { dec } from '../src/model/index.js'
import { CcxtVenue, createCcxtExchange } from '../src/venues/ccxt.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const SYMBOL = 'BTC/USDT'
const API_KEY = 'BENCH'
const API_SECRET = 'BENCHSECRET'

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

const p = (values: number[], q: number): number => percentile(values.sort((a, b) => a - b), q)

/** A full collection before a timed phase (with --expose-gc), so setup garbage is not collected inside it. */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.()

interface Sim {
  readonly url: string
  readonly proc: ChildProcess
}

/** Starts `sofia exchange-sim` on a free loopback port; resolves with its URL once it prints its first line. */
async function startSim(): Promise<Sim> {
  const args = [
    CLI,
    'exchange-sim',
    '--host', '127.0.0.1',
    '--port', '0',
    '--seed', '1',
    '--symbols', SYMBOL,
    '--api-key', API_KEY,
    '--api-secret', API_SECRET,
    '--balance', 'USDT=100000000',
    '--balance', 'BTC=1000',
    '--tick-ms', '0',
    '--trade-probability', '0',
    '--levels', '10',
  ]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOFIA_DEBUG: '' } })
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      let err = ''
      const timer = setTimeout(() => reject(new Error(`exchange-sim did not start within 20 s: ${err}`)), 20_000)
      proc.stdout!.on('data', (d: Buffer) => {
        out += String(d)
        const nl = out.indexOf('\n')
        if (nl >= 0) {
          clearTimeout(timer)
          resolve(out.slice(0, nl))
        }
      })
      proc.stderr!.on('data', (d: Buffer) => (err += String(d)))
      proc.once('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`exchange-sim exited ${code}: ${err}`))
      })
    })
    const info = JSON.parse(line) as { url?: unknown }
    if (typeof info.url !== 'string') throw new Error(`exchange-sim: unexpected first line ${line}`)
    // Keep draining its output so it never blocks on a full pipe.
    proc.stdout!.resume()
    proc.stderr!.resume()
    return { url: info.url, proc }
  } catch (error) {
    proc.kill('SIGKILL')
    throw error
  }
}

async function stopSim(sim: Sim): Promise<void> {
  const { proc } = sim
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000)
  await exited
  clearTimeout(timer)
}

/** The price of a marketable limit order for `side`: the best opposite quote. */
async function marketablePrice(url: string, side: 'buy' | 'sell'): Promise<string> {
  const res = await fetch(`${url}/api/v3/depth?symbol=BTCUSDT&limit=5`)
  const d = (await res.json()) as { bids: [string, string][]; asks: [string, string][] }
  const level = side === 'buy' ? d.asks[0] : d.bids[0]
  if (level === undefined) throw new Error(`exchange-sim: no ${side === 'buy' ? 'asks' : 'bids'} to trade against`)
  return level[0]
}

/** The REST path of createOrder (POST) and fetchOrder (GET): the HTTP calls of the timed requests. */
const ORDER_PATH = '/api/v3/order'

/**
 * Wraps the client's transport (`exchange.fetch`) and its createOrder/fetchOrder with timers: `http` is the
 * time spent in requests to the order endpoint, i.e. the HTTP calls of the timed createOrder/fetchOrder
 * (requests the adapter makes on its own, such as a fill backfill running meanwhile, are not subtracted);
 * `ccxt` the time inside ccxt's createOrder/fetchOrder. Both accumulate until reset.
 */
function instrument(exchange: Exchange): { reset(): void; readonly http: number; readonly ccxt: number } {
  const t = { http: 0, ccxt: 0 }
  const ex = exchange as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
  const transport = ex['fetch']!.bind(exchange)
  ex['fetch'] = async (...args: unknown[]) => {
    const url = String(args[0])
    const q = url.indexOf('?')
    if (!(q < 0 ? url : url.slice(0, q)).endsWith(ORDER_PATH)) return transport(...args)
    const t0 = performance.now()
    try {
      return await transport(...args)
    } finally {
      t.http += performance.now() - t0
    }
  }
  for (const name of ['createOrder', 'fetchOrder']) {
    const method = ex[name]!.bind(exchange)
    ex[name] = async (...args: unknown[]) => {
      const t0 = performance.now()
      try {
        return await method(...args)
      } finally {
        t.ccxt += performance.now() - t0
      }
    }
  }
  return {
    reset: () => {
      t.http = 0
      t.ccxt = 0
    },
    get http() {
      return t.http
    },
    get ccxt() {
      return t.ccxt
    },
  }
}

export async function benchCcxtVenue(roundTrips = 1_000): Promise<{
  roundtrip_p50_ms: number
  roundtrip_p99_ms: number
  adapter_overhead_p50_ms: number
  adapter_overhead_p99_ms: number
  ccxt_overhead_p50_ms: number
  ccxt_overhead_p99_ms: number
  adapter_own_p50_ms: number
  adapter_own_p99_ms: number
  bare_ccxt_roundtrip_p50_ms: number
  bare_ccxt_overhead_p50_ms: number
  bare_ccxt_overhead_p99_ms: number
}> {
  const warmUp = 20
  const sim = await startSim()
  // Should this process end without reaching the finally below, the exchange goes with it.
  const kill = (): void => void sim.proc.kill('SIGKILL')
  process.once('exit', kill)
  let venue: CcxtVenue | undefined
  let bare: Exchange | undefined
  try {
    const tag = Date.now().toString(36)

    // ---- through the adapter ----
    const exchange = createCcxtExchange({ exchangeId: 'binance', apiKey: API_KEY, secret: API_SECRET, url: sim.url })
    const timing = instrument(exchange)
    venue = await CcxtVenue.connect({ id: 'bench', exchange, symbols: [SYMBOL], pollMs: 3_600_000 })
    const filled = new Set<string>()
    let waiting: { id: string; resolve: () => void } | undefined
    venue.subscribe({
      onOrder: () => undefined,
      onTrade: (t) => {
        filled.add(t.clientOrderId)
        if (waiting?.id === t.clientOrderId) waiting.resolve()
      },
    })
    const times: number[] = []
    const overheads: number[] = []
    const ccxtOverheads: number[] = []
    const own: number[] = []
    for (let i = 0; i < roundTrips + warmUp; i++) {
      if (i === warmUp) collect()
      const side = i % 2 === 0 ? 'buy' : 'sell'
      const price = dec(await marketablePrice(sim.url, side))
      const amount = dec('0.001')
      const id = `b-${tag}-${i}`
      const fill = new Promise<void>((resolve) => (filled.has(id) ? resolve() : (waiting = { id, resolve })))
      timing.reset()
      const t0 = performance.now()
      await venue.createOrder({ clientOrderId: id, symbol: SYMBOL, type: 'limit', side, amount, price })
      const created = performance.now() - t0
      const http1 = timing.http
      const ccxt1 = timing.ccxt
      await fill
      timing.reset()
      const t1 = performance.now()
      const o = await venue.fetchOrder(id, SYMBOL)
      const t2 = performance.now()
      const fetched = t2 - t1
      const http = http1 + timing.http
      const inCcxt = ccxt1 + timing.ccxt
      if (o.status !== 'closed') throw new Error(`bench order ${id} did not fill: ${o.status}`)
      if (i >= warmUp) {
        times.push(t2 - t0)
        overheads.push(Math.max(0, created + fetched - http))
        ccxtOverheads.push(Math.max(0, inCcxt - http))
        own.push(Math.max(0, created + fetched - inCcxt))
      }
    }
    await venue.close()
    venue = undefined

    // ---- ccxt alone, for comparison ----
    bare = createCcxtExchange({ exchangeId: 'binance', apiKey: API_KEY, secret: API_SECRET, url: sim.url })
    const bareTiming = instrument(bare)
    await bare.loadMarkets()
    const bareTimes: number[] = []
    const bareOverheads: number[] = []
    for (let i = 0; i < roundTrips + warmUp; i++) {
      if (i === warmUp) collect()
      const side = i % 2 === 0 ? 'buy' : 'sell'
      const price = Number(await marketablePrice(sim.url, side))
      const id = `c-${tag}-${i}`
      bareTiming.reset()
      const t0 = performance.now()
      await bare.createOrder(SYMBOL, 'limit', side, 0.001, price, { clientOrderId: id })
      const o = await bare.fetchOrder('', SYMBOL, { origClientOrderId: id, clientOrderId: id })
      const dt = performance.now() - t0
      if (o.status !== 'closed') throw new Error(`bench order ${id} did not fill: ${o.status}`)
      if (i >= warmUp) {
        bareTimes.push(dt)
        bareOverheads.push(Math.max(0, dt - bareTiming.http))
      }
    }

    return {
      roundtrip_p50_ms: p(times, 50),
      roundtrip_p99_ms: p(times, 99),
      adapter_overhead_p50_ms: p(overheads, 50),
      adapter_overhead_p99_ms: p(overheads, 99),
      ccxt_overhead_p50_ms: p(ccxtOverheads, 50),
      ccxt_overhead_p99_ms: p(ccxtOverheads, 99),
      adapter_own_p50_ms: p(own, 50),
      adapter_own_p99_ms: p(own, 99),
      bare_ccxt_roundtrip_p50_ms: p(bareTimes, 50),
      bare_ccxt_overhead_p50_ms: p(bareOverheads, 50),
      bare_ccxt_overhead_p99_ms: p(bareOverheads, 99),
    }
  } finally {
    await venue?.close().catch(() => undefined)
    await (bare as unknown as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => undefined)
    await stopSim(sim)
    process.off('exit', kill)
  }
}

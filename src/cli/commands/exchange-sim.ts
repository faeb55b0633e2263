/**
 * @module cli/commands/exchange-sim
 * `sofia exchange-sim`: runs a local exchange speaking Binance SPOT REST + WebSocket, for trading Sofia (or
 * any ccxt client) against a seeded market with injectable faults. Prints one JSON line with its URLs and
 * keys, then a readable one, and runs until SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { BINANCE_ORDER_TYPES, SELF_TRADE_PREVENTION } from '../../exchange-sim/accounts.js'
import type { BinanceOrderType, SelfTradePrevention } from '../../exchange-sim/accounts.js'
import { defaultBalances, symbolSpec } from '../../exchange-sim/symbols.js'
import { collect, keyValues, parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'

interface ExchangeSimFlags {
  host: string
  port: string
  seed: string
  symbols: string
  apiKey?: string
  apiSecret?: string
  account: string[]
  balance: string[]
  priceScale: string
  priceOffset: string
  tickMs: string
  stepBps: string
  levels: string
  tradeProbability: string
  makerFee: string
  takerFee: string
  faults?: string
  latencyMs?: string
  tradesOut?: string
  selfTradePrevention: string
  orderTypes?: string
}

function parseNumber(option: string, value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InputError(`${option}: expected a number, got '${value}'`)
  return n
}

export function registerExchangeSim(program: Command): void {
  program
    .command('exchange-sim')
    .summary('run a local exchange speaking Binance SPOT REST + WebSocket, for ccxt clients and tests')
    .description(
      'Runs a local exchange that the unmodified ccxt `binance` class trades against (see\n' +
        'src/venues/ccxt-client.ts for the client settings): a seeded market per symbol on Sofia\'s matching\n' +
        'engine, per-key balances, maker/taker fees, Binance error codes, and fault injection (--faults FILE,\n' +
        'or POST /sim/faults from loopback). Prints one JSON line {"event":"listening",url,ws,apiKey,apiSecret}.',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '9100')
    .option('--seed <n>', 'seed of the market and of random faults', '1')
    .option('--symbols <list>', 'comma-separated symbols', 'BTC/USDT,ETH/USDT')
    .option('--api-key <key>', 'API key of the main account (default: generated and printed)')
    .option('--api-secret <secret>', 'its secret (default: generated and printed)')
    .option('--account <key:secret>', 'another account (repeatable)', collect, [])
    .option('--balance <asset=amount>', 'starting balance of every account (repeatable; default 100000 quote and about as much base)', collect, [])
    .option('--price-scale <x>', 'multiply every price by x (two instances with one seed differ by it)', '1')
    .option('--price-offset <x>', 'add x to every price', '0')
    .option('--tick-ms <ms>', 'milliseconds between market steps (0 = move only on POST /sim/tick)', '250')
    .option('--step-bps <bps>', 'standard deviation of one step of the price, basis points', '2')
    .option('--levels <n>', 'market maker levels per side', '10')
    .option('--trade-probability <p>', 'chance of an outside trade per step and symbol', '0.5')
    .option('--maker-fee <rate>', 'maker commission rate, charged in the quote asset', '0.001')
    .option('--taker-fee <rate>', 'taker commission rate, charged in the quote asset', '0.001')
    .option('--faults <file>', 'fault injection settings (YAML or JSON; see src/exchange-sim/faults.ts)')
    .option('--latency-ms <ms>', 'added latency on every request (overrides latencyMs of --faults)')
    .option('--trades-out <file>', "append every fill (CCXT unified trade + apiKey) to this JSONL file")
    .option(
      '--order-types <list>',
      `order types it takes (default all: ${BINANCE_ORDER_TYPES.join(',')}); e.g. LIMIT,MARKET,LIMIT_MAKER for an exchange without native stops`,
    )
    .option(
      '--self-trade-prevention <mode>',
      `${SELF_TRADE_PREVENTION.join(' or ')}: NONE lets an account's orders trade with each other (two fills, a buy and a sell, under one trade id)`,
      'EXPIRE_MAKER',
    )
    .action(async (flags: ExchangeSimFlags) => {
      const seed = parseNonNegativeInt('--seed', flags.seed)
      const port = parseNonNegativeInt('--port', flags.port)
      if (port > 65535) throw new InputError(`--port: expected 0-65535, got ${port}`)
      const symbols = flags.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '')
      if (symbols.length === 0) throw new InputError('--symbols: expected at least one BASE/QUOTE')
      const specs = symbols.map(symbolSpec)
      const scale = parseNumber('--price-scale', flags.priceScale)
      if (!(scale > 0)) throw new InputError('--price-scale: expected a number > 0')
      const probability = parseNonNegativeNumber('--trade-probability', flags.tradeProbability)
      if (probability > 1) throw new InputError('--trade-probability: expected a number in [0, 1]')
      for (const [opt, v] of [['--maker-fee', flags.makerFee], ['--taker-fee', flags.takerFee]] as const) {
        if (parseNonNegativeNumber(opt, v) >= 0.1) throw new InputError(`${opt}: expected a rate below 0.1, got '${v}'`)
      }
      const stp = flags.selfTradePrevention.toUpperCase()
      if (!(SELF_TRADE_PREVENTION as readonly string[]).includes(stp)) {
        throw new InputError(`--self-trade-prevention: expected ${SELF_TRADE_PREVENTION.join(' or ')}, got '${flags.selfTradePrevention}'`)
      }
      const orderTypes = flags.orderTypes === undefined ? undefined : flags.orderTypes.split(',').map((t) => t.trim().toUpperCase()).filter((t) => t !== '')
      for (const t of orderTypes ?? []) {
        if (!(BINANCE_ORDER_TYPES as readonly string[]).includes(t)) throw new InputError(`--order-types: unknown order type '${t}' (known: ${BINANCE_ORDER_TYPES.join(', ')})`)
      }
      if (orderTypes !== undefined && !orderTypes.includes('LIMIT')) throw new InputError('--order-types: LIMIT is required (every Binance symbol takes it)')
      const apiKey = flags.apiKey ?? randomBytes(24).toString('hex')
      const apiSecret = flags.apiSecret ?? randomBytes(32).toString('hex')
      const accounts = [{ apiKey, secret: apiSecret }]
      for (const a of flags.account) {
        const at = a.indexOf(':')
        if (at <= 0 || at === a.length - 1) throw new InputError(`--account '${a}': expected KEY:SECRET`)
        accounts.push({ apiKey: a.slice(0, at), secret: a.slice(at + 1) })
      }
      const balances = flags.balance.length > 0 ? keyValues('--balance', flags.balance) : defaultBalances(specs)
      for (const [asset, amount] of Object.entries(balances)) {
        if (!/^\d+(\.\d+)?$/.test(amount)) throw new InputError(`--balance ${asset}=${amount}: expected a non-negative decimal`)
      }
      // The server (and its WebSocket library) is loaded here: other commands never pay for it.
      const { ExchangeSimServer, FaultInjector, SimExchange, loadFaultFile } = await import('../../exchange-sim/index.js')
      const faults = new FaultInjector(seed)
      const config = flags.faults !== undefined ? await loadFaultFile(flags.faults) : {}
      const latencyMs = flags.latencyMs !== undefined ? parseNonNegativeNumber('--latency-ms', flags.latencyMs) : undefined
      faults.set(latencyMs !== undefined ? { ...config, latencyMs } : config)

      const exchange = new SimExchange({
        seed,
        symbols: specs,
        accounts,
        balances,
        makerFee: flags.makerFee,
        takerFee: flags.takerFee,
        selfTradePrevention: stp as SelfTradePrevention,
        ...(orderTypes !== undefined ? { orderTypes: orderTypes as BinanceOrderType[] } : {}),
        maker: {
          scale,
          offset: parseNumber('--price-offset', flags.priceOffset),
          stepBps: parseNonNegativeNumber('--step-bps', flags.stepBps),
          levels: Math.max(1, parseNonNegativeInt('--levels', flags.levels)),
          tradeProbability: probability,
        },
      })
      const server = new ExchangeSimServer({
        exchange,
        faults,
        host: flags.host,
        port,
        tickMs: parseNonNegativeNumber('--tick-ms', flags.tickMs),
        ...(flags.tradesOut !== undefined ? { tradesOut: flags.tradesOut } : {}),
      })
      const { url, ws } = await server.start()
      process.stdout.write(`${JSON.stringify({ event: 'listening', url, ws, apiKey, apiSecret, symbols })}\n`)
      process.stdout.write(`exchange-sim: Binance SPOT API on ${url} (WebSocket ${ws}), symbols ${symbols.join(', ')}, seed ${seed}; Ctrl-C stops\n`)
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
      await server.close()
    })
}

/**
 * @module cli/commands/data
 * `sofia data download`: candles from an exchange (CCXT fetchOHLCV, paginated, resumable) into the OHLCV
 * JSON the backtester reads, named `<exchange>_<BASE>-<QUOTE>_<tf>.json` so a re-run continues the file.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'

interface Flags {
  exchange: string
  symbol: string
  timeframe: string
  since: string
  until?: string
  out: string
  url?: string
  json?: boolean
}

function parseDate(option: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value)
  if (!Number.isFinite(n)) throw new InputError(`${option}: expected an ISO date (2024-01-31, 2024-01-31T12:00:00Z) or epoch ms, got '${value}'`)
  return n
}

export function registerData(program: Command): void {
  const data = program.command('data').summary('market data: download candles from an exchange')
  data
    .command('download')
    .summary('download OHLCV candles through CCXT (paginated; re-running resumes after the last stored candle)')
    .requiredOption('--exchange <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--symbol <symbol>', 'e.g. BTC/USDT')
    .requiredOption('--timeframe <tf>', 'e.g. 1m, 5m, 1h')
    .requiredOption('--since <date>', 'first candle (ISO date or epoch ms)')
    .option('--until <date>', 'stop before this time (default: now)')
    .option('--out <dir>', 'directory of the file', 'data')
    .option('--url <url>', 'REST base URL of a binance-compatible exchange (e.g. sofia exchange-sim)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: Flags) => {
      const since = parseDate('--since', flags.since)
      const until = flags.until !== undefined ? parseDate('--until', flags.until) : undefined
      if (until !== undefined && until <= since) throw new InputError('--until must be after --since')
      const dir = resolve(flags.out)
      mkdirSync(dir, { recursive: true })
      const { closeCcxtExchange, createCcxtExchange, downloadOhlcv, ohlcvFileName } = await import('../../venues/ccxt.js')
      const file = join(dir, ohlcvFileName(flags.exchange, flags.symbol, flags.timeframe))
      const exchange = createCcxtExchange({ exchangeId: flags.exchange, ...(flags.url !== undefined ? { url: flags.url } : {}) })
      try {
        const r = await downloadOhlcv({ exchange, symbol: flags.symbol, timeframe: flags.timeframe, since, ...(until !== undefined ? { until } : {}), file })
        if (flags.json === true) process.stdout.write(`${JSON.stringify(r)}\n`)
        else {
          const span = r.first !== undefined && r.last !== undefined ? ` from ${new Date(r.first).toISOString()} to ${new Date(r.last).toISOString()}` : ''
          process.stdout.write(`${r.file}: ${r.candles} candles${span} (${r.added} added${r.resumedFrom !== undefined ? `, resumed after ${new Date(r.resumedFrom).toISOString()}` : ''})\n`)
        }
      } finally {
        await closeCcxtExchange(exchange)
      }
    })
}

/**
 * @module cli/exchange-option
 * The exchange a command talks to, from the configuration (`exchange.*`, `MODE`, `EXCHANGE`, `API_KEY`,
 * `API_SECRET`) and the `--exchange`/`--url` flags. Keys come only from configuration or the environment.
 */
import type { Command } from 'commander'
import type { SofiaConfig } from '../config/index.js'
import { InputError } from '../model/index.js'
import type { CcxtExchangeSpec } from '../venues/index.js'

export interface ExchangeFlags {
  exchange?: string
  url?: string
}

export function addExchangeOptions(cmd: Command): Command {
  return cmd
    .option('--exchange <id>', 'ccxt exchange id (default: exchange.id / EXCHANGE)')
    .option('--url <url>', 'REST base URL of a binance-compatible exchange (e.g. sofia exchange-sim; default: exchange.urls.api)')
}

export function exchangeSpec(config: SofiaConfig, flags: ExchangeFlags, mode: string = config.mode): CcxtExchangeSpec {
  const id = flags.exchange ?? config.exchange?.id
  if (id === undefined) throw new InputError('no exchange: set exchange.id in sofia.yaml, EXCHANGE, or --exchange')
  const url = flags.url ?? config.exchange?.urls?.api
  const apiKey = config.exchange?.apiKey?.reveal()
  const secret = config.exchange?.apiSecret?.reveal()
  const password = config.exchange?.password?.reveal()
  return {
    exchangeId: id,
    sandbox: config.exchange?.sandbox === true || mode === 'testnet',
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(secret !== undefined ? { secret } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(config.exchange?.recvWindowMs !== undefined ? { recvWindowMs: config.exchange.recvWindowMs } : {}),
  }
}

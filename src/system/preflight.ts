/**
 * @module system/preflight
 * The checks an operator runs before a session (`sofia preflight`): environment for the mode, the exchange
 * reachable (market count), clock drift against it, the API key valid (a signed call), risk limits set, the
 * kill switch, the database reachable and migrated, metrics, free disk. Each check is a small function
 * returning a verdict; none throws.
 */
import { statfs } from 'node:fs/promises'
import type { SofiaConfig } from '../config/index.js'
import { EXCHANGE_MODES } from '../config/index.js'
import { INACTIVE } from '../risk/index.js'
import type { KillSwitchState } from '../risk/index.js'
import type { Store } from '../store/index.js'
import { latestVersion } from '../store/index.js'
import { createMetrics } from '../observability/index.js'
import type { CcxtExchangeSpec } from '../venues/index.js'
import type { mapCcxtError as MapCcxtError } from '../venues/ccxt.js'
import { KILL_SWITCH_KEY } from './safety.js'

export const PREFLIGHT_STATUSES = ['PASS', 'FAIL', 'WARN'] as const
export type PreflightStatus = (typeof PREFLIGHT_STATUSES)[number]

export interface PreflightCheck {
  readonly name: string
  readonly status: PreflightStatus
  readonly detail: string
}

export interface PreflightOptions {
  readonly config: SofiaConfig
  /** The exchange to check (undefined: no exchange configured). */
  readonly exchange: CcxtExchangeSpec | undefined
  /** Opens the store without creating it; rejects when it is not there. */
  readonly openStore: () => Promise<Store>
  readonly dataDir: string
  readonly maxDriftMs?: number
  readonly minFreeMb?: number
  readonly timeoutMs?: number
}

const pass = (name: string, detail: string): PreflightCheck => ({ name, status: 'PASS', detail })
const fail = (name: string, detail: string): PreflightCheck => ({ name, status: 'FAIL', detail })
const warn = (name: string, detail: string): PreflightCheck => ({ name, status: 'WARN', detail })

function message(error: unknown, secrets: readonly string[], mapCcxtError: typeof MapCcxtError): string {
  const e = mapCcxtError(error, { what: 'exchange', secrets })
  return `${e.name}: ${e.message}`
}

export async function runPreflight(o: PreflightOptions): Promise<PreflightCheck[]> {
  const { closeCcxtExchange, createCcxtExchange, mapCcxtError } = await import('../venues/ccxt.js')
  const out: PreflightCheck[] = []
  const { config } = o
  const mode = config.mode
  const onExchange = EXCHANGE_MODES.includes(mode)
  const trading = mode === 'canary' || mode === 'live' || mode === 'testnet'

  // Environment for the mode.
  const missing: string[] = []
  if (onExchange && o.exchange === undefined) missing.push('EXCHANGE')
  if (trading && (o.exchange?.apiKey ?? '') === '') missing.push('API_KEY')
  if (trading && (o.exchange?.secret ?? '') === '') missing.push('API_SECRET')
  out.push(missing.length === 0 ? pass('environment', `mode ${mode}: ${onExchange ? 'EXCHANGE' : 'no exchange'}${trading ? ', API_KEY, API_SECRET' : ''} present`) : fail('environment', `mode ${mode} needs ${missing.join(', ')} (not set)`))

  // The exchange.
  if (o.exchange === undefined) {
    out.push(onExchange ? fail('exchange', 'no exchange configured') : pass('exchange', `not needed in mode ${mode}`))
  } else {
    const secrets = [o.exchange.apiKey ?? '', o.exchange.secret ?? ''].filter((s) => s !== '')
    const ex = createCcxtExchange({ ...o.exchange, timeoutMs: o.timeoutMs ?? 5_000 })
    try {
      let reachable = false
      try {
        const markets = await ex.loadMarkets()
        reachable = true
        out.push(pass('exchange', `${o.exchange.exchangeId}${o.exchange.sandbox === true ? ' (sandbox)' : ''} reachable: ${Object.keys(markets).length} markets`))
      } catch (error) {
        out.push(fail('exchange', `${o.exchange.exchangeId} unreachable: ${message(error, secrets, mapCcxtError)}`))
      }
      if (reachable) {
        try {
          const t0 = Date.now()
          const serverTime = await ex.fetchTime()
          const local = (t0 + Date.now()) / 2
          const drift = Math.round((serverTime ?? NaN) - local)
          const max = o.maxDriftMs ?? 1_000
          out.push(Math.abs(drift) <= max ? pass('clock', `drift ${drift} ms against the exchange (limit ${max})`) : fail('clock', `drift ${drift} ms against the exchange exceeds ${max} ms: fix NTP before trading`))
        } catch (error) {
          out.push(fail('clock', `fetchTime failed: ${message(error, secrets, mapCcxtError)}`))
        }
        if ((o.exchange.apiKey ?? '') === '') out.push(trading ? fail('api key', 'no API key') : pass('api key', `not needed in mode ${mode}`))
        else {
          try {
            const b = await ex.fetchBalance()
            out.push(pass('api key', `valid (signed fetchBalance: ${Object.keys(b.total ?? {}).length} currencies)`))
          } catch (error) {
            out.push(fail('api key', `refused: ${message(error, secrets, mapCcxtError)}`))
          }
        }
      } else {
        out.push(fail('clock', 'exchange unreachable'))
        out.push(fail('api key', 'exchange unreachable'))
      }
    } finally {
      await closeCcxtExchange(ex)
    }
  }

  // Risk limits.
  const r = config.risk
  const limits = (
    [
      ['maxOrderNotional', r.maxOrderNotional],
      ['maxPositionNotional', r.maxPositionNotional],
      ['maxGrossExposure', r.maxGrossExposure],
      ['maxDailyLoss', r.maxDailyLoss],
      ['maxDailyLossPct', r.maxDailyLossPct],
    ] as const
  ).filter(([, v]) => v !== undefined)
  if (limits.length > 0) out.push(pass('risk limits', limits.map(([k, v]) => `${k}=${String(v)}`).join(', ')))
  else out.push(trading ? warn('risk limits', 'none configured (MAX_DAILY_LOSS, MAX_POSITION_USD, …) in a live mode') : pass('risk limits', `none configured (mode ${mode})`))

  // Store and kill switch.
  let store: Store | undefined
  try {
    store = await o.openStore()
    const version = await store.schemaVersion()
    const latest = latestVersion()
    out.push(version === latest ? pass('database', `${store.location} reachable, schema ${version} (latest)`) : fail('database', `${store.location} at schema ${version}, latest ${latest}: migrate`))
    const ks = ((await store.getState<KillSwitchState>(KILL_SWITCH_KEY)) ?? INACTIVE) as KillSwitchState
    out.push(
      ks.active
        ? warn('kill switch', `ACTIVE (${ks.trigger ?? '?'} by ${ks.actor ?? '?'}: ${ks.reason ?? ''}); trading stays halted until deactivated`)
        : pass('kill switch', `inactive (configured ${r.killSwitch})`),
    )
  } catch (error) {
    out.push(fail('database', `not reachable: ${error instanceof Error ? error.message : String(error)}`))
    out.push(warn('kill switch', 'unknown (no database)'))
  } finally {
    await store?.close()
  }

  // Metrics.
  try {
    const m = createMetrics({ processMetrics: false })
    out.push(pass('metrics', `${(await m.registry.getMetricsAsJSON()).length} metrics, served at http://${config.api.host}:${config.api.port}/metrics by sofia serve`))
  } catch (error) {
    out.push(fail('metrics', String(error)))
  }

  // Disk.
  try {
    const s = await statfs(o.dataDir)
    const freeMb = Math.floor((Number(s.bavail) * Number(s.bsize)) / 1_048_576)
    const min = o.minFreeMb ?? 500
    out.push(freeMb >= min ? pass('disk', `${freeMb} MB free in ${o.dataDir} (minimum ${min})`) : fail('disk', `${freeMb} MB free in ${o.dataDir}, below ${min} MB`))
  } catch (error) {
    out.push(fail('disk', `${o.dataDir}: ${error instanceof Error ? error.message : String(error)}`))
  }
  return out
}

/**
 * @module bench/run
 * `npm run bench [-- --json] [-- --only NAME]`: runs every benchmark section and prints a table, or one JSON
 * object with a section per benchmark. Benchmarks measure; they never fail a build.
 */
import { benchApi } from './api.js'
import { benchAudit } from './audit.js'
import { benchBacktestCandles, benchBacktestTenSymbols } from './backtest-candles.js'
import { benchBacktest } from './backtest-e2e.js'
import { benchBacktestTradingHeavy } from './backtest-trading-heavy.js'
import { benchCcxtVenue } from './ccxt-venue.js'
import { benchCluster, benchClusterMarketData } from './cluster.js'
import { benchKillSwitch } from './kill-switch.js'
import { benchMatching } from './matching.js'
import { benchExchangeSim } from './exchange-sim.js'
import { benchReconcileSection } from './reconcile.js'
import { benchReports } from './reports.js'
import { benchRisk } from './risk.js'
import { benchStore } from './store.js'
import { benchSweepWorkers } from './sweep-workers.js'

type Section = Record<string, number | string>
const SECTIONS: Record<string, () => Promise<Section>> = {
  backtest_e2e: () => benchBacktest(),
  backtest_candles: () => benchBacktestCandles(),
  backtest_ten_symbols: () => benchBacktestTenSymbols(),
  backtest_trading_heavy: () => benchBacktestTradingHeavy(),
  matching: () => benchMatching(),
  store: () => benchStore(),
  audit: () => benchAudit(),
  risk_check: () => benchRisk(),
  kill_switch: () => benchKillSwitch(),
  exchange_sim: () => benchExchangeSim(),
  ccxt_venue: async () => ({ ...(await benchCcxtVenue()) }),
  reconcile: () => benchReconcileSection(),
  reports: () => benchReports(),
  api: () => benchApi(),
  cluster_halt: () => benchCluster(),
  cluster_market_data: () => benchClusterMarketData(),
  sweep_workers: () => benchSweepWorkers(),
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const json = args.includes('--json')
  const onlyAt = args.indexOf('--only')
  const only = onlyAt >= 0 ? args[onlyAt + 1]?.split(',') : undefined
  const results: Record<string, Section> = {}
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (only !== undefined && !only.includes(name)) continue
    if (!json) process.stdout.write(`${name} ...\n`)
    results[name] = await run()
    if (!json) {
      for (const [k, v] of Object.entries(results[name])) process.stdout.write(`  ${k.padEnd(32)} ${String(v)}\n`)
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`)
}

await main()

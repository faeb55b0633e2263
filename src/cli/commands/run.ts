/**
 * @module cli/commands/run
 * `sofia run --mode paper|shadow|canary|live|testnet`: a trading session on an exchange's live market data
 * (DESIGN §2) through the mode router; switch modes while it runs with `sofia shadow promote|rollback`. It runs on
 * the desk of `sofia serve` (operations, alert rules and notifiers, the cluster), without the HTTP API.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { clusterMarketData } from '../../cluster/join.js'
import { POSITION_OVERRIDE_FILE, openDesk, readPositionOverride } from '../../desk/index.js'
import type { Desk } from '../../desk/index.js'
import { InputError } from '../../model/index.js'
import { loadCanaryConfig } from '../../ops/canary/index.js'
import { ROUTER_MODES } from '../../system/index.js'
import type { RouterMode } from '../../system/index.js'
import { collect } from '../args.js'
import { addClusterOptions, clusterSettings, nodeStore } from '../cluster-option.js'
import type { ClusterFlags } from '../cluster-option.js'
import { addExchangeOptions } from '../exchange-option.js'
import { addConfigOption, exchangeSessionOf, sessionConfig, strategySpecsOf } from '../session-config.js'
import type { ExchangeSessionFlags } from '../session-config.js'
import { sessionStop } from '../session-stop.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'

interface RunFlags extends ExchangeSessionFlags, ClusterFlags {
  mode?: string
  strategy: string[]
  param: string[]
  balance: string[]
  duration?: string
  json?: boolean
  dataDir?: string
  db?: string
  config?: string
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .summary('trade on an exchange feed: --mode paper | shadow | canary | live | testnet')
    .description(
      'A session on the exchange\'s live market data. paper/shadow: orders filled by the simulator (shadow records\n' +
        'each in the shadow order log); canary: CANARY_PERCENTAGE of each intent to the exchange, the full intent in\n' +
        'shadow beside it; live: the exchange; testnet: live on the sandbox. Resyncs with the exchange before trading.',
    )
    .option('--mode <mode>', `one of ${ROUTER_MODES.join(', ')} (default: MODE / config mode)`)
    .option('--symbols <list>', 'comma-separated symbols', 'BTC/USDT')
    .option('--strategy <name>', 'strategy to run (repeatable)', collect, [])
    .option('--param <key=value>', 'parameter for the strategies (repeatable)', collect, [])
    .option('--balance <asset=amount>', "the simulator's starting balance (repeatable; default: the exchange's)", collect, [])
    .option('--venue <id>', 'venue id in the records (default: the exchange id)')
    .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--json', 'print the final summary as JSON')
  addClusterOptions(addConfigOption(addStoreOptions(addExchangeOptions(cmd)))).action(async (flags: RunFlags) => {
    const session = await sessionConfig(flags)
    const config = session.config
    const clusterAt = clusterSettings(flags, config)
    const mode = (flags.mode ?? config.mode) as RouterMode
    if (!(ROUTER_MODES as readonly string[]).includes(mode)) throw new InputError(`--mode: expected one of ${ROUTER_MODES.join(', ')}, got '${mode}'`)
    const specs = await strategySpecsOf(flags, session.config)
    const exchange = exchangeSessionOf(session, flags, { mode, specs, marketData: clusterMarketData(clusterAt) })
    readPositionOverride(resolve(POSITION_OVERRIDE_FILE), exchange.strategies.map((x) => x.id)) // an unknown strategy id: exit 2 before anything starts
    const ending = sessionStop(flags.duration)
    const canaryConfig = loadCanaryConfig()
    const store = await openStoreFromFlags(flags, { create: true })
    const log = (line: string): void => void process.stderr.write(`${line}\n`)
    let desk: Desk | undefined
    try {
      // The desk of `sofia serve` without its API: incident records and notifications, the position override
      // watch, rollback, a running roll-out taken over, the alert rules of config/alerts.yaml, the cluster.
      desk = await openDesk({
        store,
        dataDir: dataDirOf(flags),
        session: exchange,
        specs,
        canary: canaryConfig,
        ...(clusterAt !== undefined ? { cluster: { settings: clusterAt, store: nodeStore(store, flags) } } : {}),
        shipHeads: config.audit?.shipHeads === true,
        log,
        warn: (line) => log(`sofia: warning: ${line}`),
      })
      const opened = desk
      // Ctrl-C, SIGTERM or --duration: the session cancels what it has on the exchange, then ends.
      if (ending.signal.aborted) void opened.stop()
      else ending.signal.addEventListener('abort', () => void opened.stop(), { once: true })
      const result = (await opened.run()).exchange!
      const summary = {
        mode: result.status.mode,
        store: store.location,
        pnl: { realized: result.pnl.realized.toString(), unrealized: result.pnl.unrealized.toString(), fees: result.pnl.fees.toString(), net: result.pnl.net.toString() },
        fills: opened.trader.orders.counters.fills,
        shadow: result.status,
        resync: result.resync ?? null,
      }
      process.stdout.write(flags.json === true ? `${JSON.stringify(summary)}\n` : `session ended in mode ${summary.mode} (recorded in ${store.location}): ${summary.fills} fills, net P&L ${summary.pnl.net}\n`)
    } finally {
      await desk?.close()
      await store.close()
      ending.release()
    }
  })
}

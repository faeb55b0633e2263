/**
 * @module cli/commands/run
 * `sofia run --mode paper|shadow|canary|live|testnet`: a trading session on an exchange's live market data
 * (DESIGN §2) through the mode router; switch modes while it runs with `sofia shadow promote|rollback`.
 */
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { createMetrics } from '../../observability/index.js'
import { join, resolve } from 'node:path'
import { ROUTER_MODES, buildSession, createStrategies, describeResync, strategyParamsOf } from '../../system/index.js'
import type { RouterMode, Session } from '../../system/index.js'
import { collect, keyValues } from '../args.js'
import { sessionStop } from '../session-stop.js'
import { addExchangeOptions, exchangeSpec } from '../exchange-option.js'
import type { ExchangeFlags } from '../exchange-option.js'
import { addConfigOption, sessionConfig, strategySpecsOf } from '../session-config.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'
import { loadCanaryConfig } from '../../ops/canary/index.js'
import { notifierFromConfig } from './rollback.js'
import { accountLeases, clusterMarketData, joinCluster, sessionMember } from '../../cluster/join.js'
import type { ClusterNode } from '../../cluster/node.js'
import { POSITION_OVERRIDE_FILE, attachOperations, readPositionOverride } from '../../desk/index.js'
import type { Operations } from '../../desk/index.js'
import { addClusterOptions, clusterSettings, nodeStore } from '../cluster-option.js'
import type { ClusterFlags } from '../cluster-option.js'

interface RunFlags extends ExchangeFlags, ClusterFlags {
  mode?: string
  symbols: string
  strategy: string[]
  param: string[]
  balance: string[]
  venue?: string
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
    const marketData = clusterMarketData(clusterAt)
    const mode = (flags.mode ?? config.mode) as RouterMode
    if (!(ROUTER_MODES as readonly string[]).includes(mode)) throw new InputError(`--mode: expected one of ${ROUTER_MODES.join(', ')}, got '${mode}'`)
    const symbols = flags.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const specs = await strategySpecsOf(flags, session.config)
    const strategies = createStrategies(specs)
    readPositionOverride(resolve(POSITION_OVERRIDE_FILE), strategies.map((x) => x.id)) // an unknown strategy id: exit 2 before anything starts
    const ending = sessionStop(flags.duration)
    const canaryConfig = loadCanaryConfig()
    const store = await openStoreFromFlags(flags, { create: true })
    const log = (line: string): void => void process.stderr.write(`${line}\n`)
    // Trips, pilot-off and rollbacks are notified through config/alerts.yaml's notifiers, as in `sofia serve`.
    const notifier = await notifierFromConfig()
    let hosted: Session | undefined
    let ops: Operations | undefined
    let cluster: ClusterNode | undefined
    try {
      const spec = exchangeSpec(config, flags, mode)
      const balances = flags.balance.length > 0 ? keyValues('--balance', flags.balance) : undefined
      const built = await buildSession({
        kind: 'exchange',
        mode,
        exchange: spec,
        ...(flags.venue !== undefined ? { venueId: flags.venue } : {}),
        symbols,
        strategies,
        strategyParams: strategyParamsOf(strategies, specs),
        marketDir: join(dataDirOf(flags), 'market'),
        ...(marketData !== undefined ? { marketData } : {}),
        canaryPercentage: config.canary.percentage,
        reconcile: { ordersEveryMs: config.reconcile.ordersEveryMs, balancesEveryMs: config.reconcile.balancesEveryMs, haltOnDiscrepancy: config.reconcile.haltOnDiscrepancy },
        store,
        riskSettings: session.risk,
        killFile: session.killFile,
        metrics: createMetrics({ processMetrics: false }),
        ...(session.positionOverride !== undefined ? { positionOverride: session.positionOverride } : {}),
        ...(balances !== undefined ? { shadowBalances: balances } : {}),
        onAlert: log,
        onResync: (r) => log(describeResync(r)),
      })
      hosted = built
      // Ctrl-C, SIGTERM or --duration: the session cancels what it has on the exchange, then ends.
      if (ending.signal.aborted) built.stop()
      else ending.signal.addEventListener('abort', () => built.stop(), { once: true })
      const exchange = built.exchange!
      ops = await attachOperations({ trader: built.trader, exchange, store, dataDir: dataDirOf(flags), specs, canary: canaryConfig, ...(notifier !== undefined ? { notify: notifier.notify } : {}), log })
      // A cluster node joins before it trades: a halted cluster halts it first.
      if (clusterAt !== undefined) {
        const member = sessionMember(built.trader, () => built.mode(), { store: nodeStore(store, flags), leases: accountLeases(spec, symbols) })
        cluster = await joinCluster(clusterAt, member, log)
      }
      const result = (await built.start()).exchange!
      const summary = {
        mode: result.status.mode,
        store: store.location,
        pnl: { realized: result.pnl.realized.toString(), unrealized: result.pnl.unrealized.toString(), fees: result.pnl.fees.toString(), net: result.pnl.net.toString() },
        fills: built.trader.orders.counters.fills,
        shadow: result.status,
        resync: result.resync ?? null,
      }
      process.stdout.write(flags.json === true ? `${JSON.stringify(summary)}\n` : `session ended in mode ${summary.mode} (recorded in ${store.location}): ${summary.fills} fills, net P&L ${summary.pnl.net}\n`)
    } finally {
      await cluster?.leave()
      ops?.stop()
      await hosted?.close()
      await notifier?.close()
      await store.close()
      ending.release()
    }
  })
}

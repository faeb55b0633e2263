/**
 * @module cli/commands/serve
 * `sofia serve`: a trading session with the operator HTTP API beside it, until Ctrl-C/SIGTERM (or
 * --duration). By default the paper session of `sofia paper` on the synthetic market (store, risk settings,
 * KILL_SWITCH file); with an exchange (`--exchange`/`--url`, or a mode other than paper) the session of
 * `sofia run --mode …` on the exchange's feed behind the mode router, whose deployment the API operates
 * (`/shadow/status`, `POST /shadow/rollback`, `POST /ws/restart`). Prints one JSON line when listening
 * (`{"event":"listening","url":…}`, also for --port 0) and one when stopped. Binding beyond loopback with no
 * API token configured is refused (exit 2).
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Option } from 'commander'
import type { Command } from 'commander'
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../../api/deps.js'
import { TokenRegistry, createToken, revokeToken } from '../../api/tokens.js'
import { isLoopback, openDesk } from '../../desk/index.js'
import type { DeskSession, ServedDesk } from '../../desk/index.js'
import { InputError } from '../../model/index.js'
import { loadCanaryConfig } from '../../ops/canary/index.js'
import type { Store } from '../../store/index.js'
import { ROUTER_MODES } from '../../system/index.js'
import type { RouterMode } from '../../system/index.js'
import { collect, parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'
import { clusterMarketData } from '../../cluster/join.js'
import { addClusterOptions, clusterSettings, nodeStore } from '../cluster-option.js'
import type { ClusterFlags } from '../cluster-option.js'
import { addExchangeOptions } from '../exchange-option.js'
import { addConfigOption, exchangeSessionOf, guardRailsOf, sessionConfig, strategySpecsOf } from '../session-config.js'
import type { ExchangeSessionFlags } from '../session-config.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags, sqliteFileOf } from '../store-option.js'
import { printStatus } from './paper.js'

interface ServeFlags extends ExchangeSessionFlags, ClusterFlags {
  mode?: string
  strategy: string[]
  param: string[]
  balance: string[]
  port?: string
  host?: string
  seed?: string
  stepMs?: string
  duration?: string
  rateLimit?: string
  metricsAuth?: boolean
  logLevel?: string
  dataDir?: string
  db?: string
  config?: string
  demo?: boolean
  sseLoad?: string
}

/** Where `--demo` keeps its token (0600): the store keeps only the hash, so reusing it needs the plaintext here. */
export const DEMO_TOKEN_FILE = 'demo-token'
const DEMO_TOKEN_NAME = 'demo'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .summary('run a trading session with the operator HTTP API (default 127.0.0.1:8023)')
    .description(
      'Paper-trades like `sofia paper` and serves the operator API beside it: /health, /ready and /metrics are open;\n' +
        'every other route needs a bearer token (sofia tokens create): viewer reads, operator changes (audited).\n' +
        'With --exchange/--url, or --mode shadow|canary|live|testnet: the session of `sofia run` on the\n' +
        "exchange's feed instead, operated with /shadow/status, POST /shadow/rollback, POST /ws/restart.\n" +
        'OpenAPI document at /openapi.json. Prints {"event":"listening","url":…} on stdout once listening.',
    )
    .option('--mode <mode>', `one of ${ROUTER_MODES.join(', ')} (default: MODE / config mode; paper without --exchange/--url: the synthetic market)`)
    .option('--symbols <list>', 'exchange session: comma-separated symbols (default BTC/USDT)')
    .option('--strategy <name>', 'run this strategy instead of the demo line-up (repeatable)', collect, [])
    .option('--param <key=value>', 'parameter for the --strategy strategies (repeatable)', collect, [])
    .option('--balance <asset=amount>', "exchange session: the simulator's starting balance (repeatable; default: the exchange's)", collect, [])
    .option('--venue <id>', 'exchange session: venue id in the records (default: the exchange id)')
    .option('--port <port>', 'TCP port (0: any free port; default api.port of sofia.yaml, else 8023)')
    .option('--host <address>', 'address to bind (default api.host, else 127.0.0.1; beyond loopback needs a token)')
    .option('--seed <n>', 'synthetic market: its seed (default 1)')
    .option('--step-ms <ms>', 'synthetic market: its step (default 100)')
    .option('--duration <seconds>', 'stop after this many seconds (default: run until Ctrl-C)')
    .option('--rate-limit <n>', `requests per minute per token (or IP); 0 turns it off (default ${DEFAULT_RATE_LIMIT_PER_MINUTE})`)
    .option('--metrics-auth', 'require a viewer token for /metrics')
    .option('--log-level <level>', `server log level on stderr: ${LOG_LEVELS.join(', ')} (default warn; info logs every request)`)
    .option('--demo', `the demo (npm start): create or reuse a local operator token '${DEMO_TOKEN_NAME}', print the dashboard link with it and a live status line`)
    // Test load for the dashboard's responsiveness test: N synthetic `load` events a second on /events.
    .addOption(new Option('--sse-load <n>').hideHelp())
  addClusterOptions(addConfigOption(addStoreOptions(addExchangeOptions(cmd)))).action(async (flags: ServeFlags) => {
    const session = await sessionConfig(flags)
    const clusterAt = clusterSettings(flags, session.config)
    const marketData = clusterMarketData(clusterAt)
    // As `sofia run` resolves it; a configuration for backtests serves paper, as serve always did.
    const mode = flags.mode ?? (session.config.mode === 'backtest' ? 'paper' : session.config.mode)
    if (!(ROUTER_MODES as readonly string[]).includes(mode)) throw new InputError(`--mode: expected one of ${ROUTER_MODES.join(', ')}, got '${mode}'`)
    const onExchange = flags.exchange !== undefined || flags.url !== undefined || mode !== 'paper'
    if (clusterAt !== undefined && clusterAt.marketData !== 'exchange' && !onExchange) {
      throw new InputError(`--market-data ${clusterAt.marketData}: only for a session on an exchange (--exchange/--url, or --mode shadow|canary|live|testnet)`)
    }
    const unused = onExchange
      ? [flags.seed !== undefined && '--seed', flags.stepMs !== undefined && '--step-ms']
      : [flags.symbols !== undefined && '--symbols', flags.balance.length > 0 && '--balance', flags.venue !== undefined && '--venue']
    const misplaced = unused.find((f): f is string => typeof f === 'string')
    if (misplaced !== undefined) {
      throw new InputError(
        onExchange
          ? `${misplaced}: only for the synthetic market (mode paper without --exchange/--url); this session is on the exchange in mode ${mode}`
          : `${misplaced}: only with an exchange (--exchange/--url, or --mode shadow|canary|live|testnet)`,
      )
    }
    const specs = await strategySpecsOf(flags, session.config)
    const canaryConfig = onExchange ? loadCanaryConfig() : undefined
    const host = flags.host ?? session.config.api.host
    const port = flags.port === undefined ? session.config.api.port : parseNonNegativeInt('--port', flags.port)
    if (port > 65_535) throw new InputError(`--port: expected 0–65535, got ${port}`)
    const rateLimit = flags.rateLimit === undefined ? DEFAULT_RATE_LIMIT_PER_MINUTE : parseNonNegativeInt('--rate-limit', flags.rateLimit)
    const duration = flags.duration === undefined ? undefined : parseNonNegativeNumber('--duration', flags.duration)
    if (flags.logLevel !== undefined && !LOG_LEVELS.includes(flags.logLevel)) {
      throw new InputError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${flags.logLevel}'`)
    }

    const sseLoad = flags.sseLoad === undefined ? undefined : parseNonNegativeInt('--sse-load', flags.sseLoad)
    const demo = flags.demo === true
    if (demo && !isLoopback(host)) throw new InputError(`--demo: binds loopback only (the link carries an operator token), got --host ${host}`)

    const store = await openStoreFromFlags(flags, { create: true })
    let desk: ServedDesk | undefined
    try {
      const demoToken = demo ? await ensureDemoToken(store, dataDirOf(flags)) : undefined
      const log = (line: string): void => void process.stderr.write(`${line}\n`)
      const deskSession: DeskSession = onExchange
        ? exchangeSessionOf(session, flags, { mode: mode as RouterMode, specs, marketData })
        : {
            kind: 'paper',
            ...guardRailsOf(session),
            ...(specs.length > 0 ? { strategies: specs } : {}),
            ...(flags.seed !== undefined ? { seed: parseNonNegativeInt('--seed', flags.seed) } : {}),
            ...(flags.stepMs !== undefined ? { stepMs: parseNonNegativeInt('--step-ms', flags.stepMs) } : {}),
          }
      desk = await openDesk({
        store,
        dataDir: dataDirOf(flags),
        backtests: { strategyDir: session.config.strategyDir, storeArgs: storeArgs(flags) },
        session: deskSession,
        specs,
        ...(canaryConfig !== undefined ? { canary: canaryConfig } : {}),
        server: {
          host,
          port,
          rateLimitPerMinute: rateLimit,
          metricsAuth: flags.metricsAuth === true,
          ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
          ...(sseLoad !== undefined ? { sseLoadPerSecond: sseLoad } : {}),
        },
        ...(clusterAt !== undefined ? { cluster: { settings: clusterAt, store: nodeStore(store, flags) } } : {}),
        shipHeads: session.config.audit?.shipHeads === true,
        log,
        warn: (line) => log(`sofia: warning: ${line}`),
      })
      const { api, trader, session: hosted } = desk
      const { url, address } = api
      const running = desk.run()
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', url, host: address.address, port: address.port, pid: process.pid, store: store.location, ...(onExchange ? { mode: hosted.mode() } : {}) })}\n`,
      )
      let statusTimer: NodeJS.Timeout | undefined
      const tty = process.stdout.isTTY === true
      if (demoToken !== undefined) {
        process.stdout.write(`Dashboard: ${url}/#token=${demoToken}\n(operator token '${DEMO_TOKEN_NAME}', kept in ${join(dataDirOf(flags), DEMO_TOKEN_FILE)}; Ctrl-C stops)\n`)
        statusTimer = setInterval(() => printStatus(hosted.status(), tty), 1_000)
        statusTimer.unref()
      }

      let stop: () => void = () => undefined
      const stopped = new Promise<string>((resolve) => {
        stop = () => resolve('signal')
      })
      const onSignal = (): void => stop()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      const timer = duration === undefined ? undefined : setTimeout(stop, duration * 1000)
      try {
        // A pilot-off (sofia shutdown) ends the session itself: the server goes with it.
        await Promise.race([stopped, running])
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        if (timer !== undefined) clearTimeout(timer)
        if (statusTimer !== undefined) clearInterval(statusTimer)
        await desk.stop()
      }
      const { stats } = await running
      await desk.close()
      if (demoToken !== undefined) {
        const pnl = trader.pnl()
        const c = trader.ledger.reportingCurrency
        const o = trader.orders.counters
        process.stdout.write(
          `${tty ? '\n' : ''}\nsession summary (recorded in ${store.location})\n` +
            `  net P&L     ${pnl.net} ${c}\n  realized    ${pnl.realized} ${c}\n  unrealized  ${pnl.unrealized} ${c}\n  fees        ${pnl.fees} ${c}\n` +
            `  equity      ${trader.equity()} ${c}\n  orders      ${o.submitted} sent, ${o.filled} filled, ${o.canceled} canceled, ${o.rejected} rejected, ${o.denied} denied by risk\n` +
            `  fills       ${o.fills}\n  events      ${stats.events}\n`,
        )
      }
      process.stdout.write(
        `${JSON.stringify({ event: 'stopped', ...(onExchange ? { mode: hosted.mode() } : {}), events: stats.events, orders: trader.orders.counters, netPnl: trader.pnl().net.toString(), currency: trader.ledger.reportingCurrency })}\n`,
      )
    } finally {
      // A failure before the session ran (or while it ran): the desk lets go of the exchange before the store closes.
      await desk?.close()
      await store.close()
    }
  })
}

/**
 * The demo's operator token: the one kept in <data-dir>/demo-token while the store still accepts it, else a
 * new one (a live token named demo whose plaintext is lost is revoked first). Stored hashed like any token.
 */
async function ensureDemoToken(store: Store, dataDir: string): Promise<string> {
  const file = join(dataDir, DEMO_TOKEN_FILE)
  const registry = new TokenRegistry(store)
  await registry.reload(true)
  if (existsSync(file)) {
    const kept = (await readFile(file, 'utf8')).trim()
    const check = await registry.verify(kept)
    if (typeof check === 'object' && check.name === DEMO_TOKEN_NAME && check.role === 'operator') return kept
  }
  try {
    await revokeToken(store, DEMO_TOKEN_NAME, 'operator:demo')
  } catch {
    // no token named demo yet
  }
  const { token } = await createToken(store, { name: DEMO_TOKEN_NAME, role: 'operator', createdBy: 'operator:demo' })
  await mkdir(dataDir, { recursive: true })
  await writeFile(file, `${token}\n`, { mode: 0o600 })
  await chmod(file, 0o600)
  return token
}

/** The flags a child `sofia` command needs to open this server's store (PostgreSQL: DATABASE_URL, inherited). */
function storeArgs(flags: ServeFlags): string[] {
  const file = sqliteFileOf(flags)
  return file === undefined ? [] : ['--db', resolve(file)]
}

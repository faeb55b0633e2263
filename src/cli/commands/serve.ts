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
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { Option } from 'commander'
import type { Command } from 'commander'
import { API_ENDPOINT_KEY } from '../../api/client.js'
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../../api/deps.js'
import { openExchangeSession, openPaperSession } from '../../api/session.js'
import { TokenRegistry, createToken, revokeToken } from '../../api/tokens.js'
import type { ApiDeps, ApiServer, HostedSession, TokenChange } from '../../api/index.js'
import { WallClock } from '../../engine/index.js'
import { InputError } from '../../model/index.js'
import { LogBuffer, createMetrics, levelOfLine } from '../../observability/index.js'
import { FREEZE_FILE, attachLiveCanary, attachSafetyRecords, attachSessionRollback, loadCanaryConfig } from '../../ops/canary/index.js'
import type { LiveCanary } from '../../ops/canary/index.js'
import { generateDailyReport } from '../../ops/pnl/index.js'
import { reconcile, storeTrades, venueTrades } from '../../reconcile/index.js'
import type { ReconciliationReport } from '../../reconcile/index.js'
import { utcDayStart } from '../../risk/index.js'
import type { Store } from '../../store/index.js'
import { CandleBook, ROUTER_MODES, attachMetrics, createStrategies, startAlerting, strategyParamsOf } from '../../system/index.js'
import type { Alerting, RouterMode } from '../../system/index.js'
import type { Trader } from '../../system/index.js'
import { paperStatus } from '../../system/index.js'
import { collect, keyValues, parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'
import { addExchangeOptions, exchangeSpec } from '../exchange-option.js'
import type { ExchangeFlags } from '../exchange-option.js'
import { printStatus } from './paper.js'
import { addConfigOption, resolveStrategyFlags, sessionConfig, watchSessionPositionOverride } from '../session-config.js'
import type { PositionOverrideWatch } from '../../risk/index.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'
import { accountLeases, addClusterOptions, clusterMarketData, clusterSettings, joinCluster, nodeStore } from '../cluster-option.js'
import type { ClusterFlags } from '../cluster-option.js'
import type { AccountLease, ClusterNode } from '../../cluster/node.js'

interface ServeFlags extends ExchangeFlags, ClusterFlags {
  mode?: string
  symbols?: string
  strategy: string[]
  param: string[]
  balance: string[]
  venue?: string
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

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

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
    const params = keyValues('--param', flags.param)
    const specs = (await resolveStrategyFlags(flags.strategy, flags, session.config)).map((name) => ({ name, params }))
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
    let server: ApiServer | undefined
    let alerting!: Alerting
    let stopRollbackWatch: (() => void) | undefined
    let stopCanary: (() => void) | undefined
    let overrideWatch: PositionOverrideWatch | undefined
    let toClose: HostedSession | undefined
    let cluster: ClusterNode | undefined
    try {
      const demoToken = demo ? await ensureDemoToken(store, dataDirOf(flags)) : undefined
      let onTokenChange: (c: TokenChange) => void = () => undefined
      const tokens = new TokenRegistry(store, { onChange: (c) => onTokenChange(c) })
      await tokens.start()
      if (!isLoopback(host) && tokens.usableCount() === 0) {
        await tokens.stop()
        throw new InputError(`refusing to serve on ${host} (beyond loopback) with no API token: create one with 'sofia tokens create --name NAME --role operator' or bind 127.0.0.1`)
      }
      const metrics = createMetrics()
      // What this process writes to its log, also kept for GET /logs and the dashboard's Logs page.
      const logs = new LogBuffer()
      const common = {
        store,
        marketDir: join(dataDirOf(flags), 'market'),
        riskSettings: session.risk,
        killFile: session.killFile,
        ...(session.positionOverride !== undefined ? { positionOverride: session.positionOverride } : {}),
        onAlert: (line: string) => {
          process.stderr.write(`${line}\n`)
          logs.push(levelOfLine(line), 'session', line)
        },
      }
      let hosted: HostedSession
      let leases: AccountLease[] | undefined
      if (onExchange) {
        const strategies = createStrategies(specs)
        const balances = flags.balance.length > 0 ? keyValues('--balance', flags.balance) : undefined
        const exchange = exchangeSpec(session.config, flags, mode)
        const symbols = (flags.symbols ?? 'BTC/USDT').split(',').map((x) => x.trim()).filter((x) => x !== '')
        leases = accountLeases(exchange, symbols)
        // The metrics and the market recording are attached by the exchange session itself.
        hosted = await openExchangeSession({
          ...common,
          mode: mode as RouterMode,
          exchange,
          ...(flags.venue !== undefined ? { venueId: flags.venue } : {}),
          symbols,
          strategies,
          strategyParams: strategyParamsOf(strategies, specs),
          ...(marketData !== undefined ? { marketData } : {}),
          canaryPercentage: session.config.canary.percentage,
          reconcile: { ordersEveryMs: session.config.reconcile.ordersEveryMs, balancesEveryMs: session.config.reconcile.balancesEveryMs, haltOnDiscrepancy: session.config.reconcile.haltOnDiscrepancy },
          metrics,
          ...(balances !== undefined ? { shadowBalances: balances } : {}),
          onResync: (r) => common.onAlert(`resync ${r.venue}: ${r.fillsApplied} fills applied, ${r.ordersUpdated} orders updated, ${r.ordersClosed} closed, ${r.unknownOpen.length} unknown open`),
        })
      } else {
        hosted = await openPaperSession({
          ...common,
          ...(specs.length > 0 ? { strategies: specs } : {}),
          ...(flags.seed !== undefined ? { seed: parseNonNegativeInt('--seed', flags.seed) } : {}),
          ...(flags.stepMs !== undefined ? { stepMs: parseNonNegativeInt('--step-ms', flags.stepMs) } : {}),
        })
      }
      toClose = hosted
      const trader = hosted.trader
      // As in `sofia run`: config/position_override.json is re-read within 5 s of a change (audited), and an
      // unknown strategy id in it stops the start (exit 2).
      overrideWatch = watchSessionPositionOverride(trader, trader.runners.map((r) => r.strategy.id), common.onAlert)
      // Token changes made with `sofia tokens` while this session runs are audited here (the session alone appends).
      onTokenChange = (c) =>
        trader.persistence?.audit(`api.token.${c.change}`, c.change === 'created' ? c.token.createdBy : 'operator:cli', { name: c.name, role: c.token.role, expiresAt: c.token.expiresAt })
      if (hosted.exchange === undefined) attachMetrics(trader, metrics)
      // A deployment under the registry rolls back on its own: a critical alert whose action trips the kill
      // switch, or the KILL_SWITCH file, runs every rollback step (issue: automatic rollback).
      // `sofia rollback` from another process is carried out by this session (the `rollback` control command).
      let liveCanary: LiveCanary | undefined
      const rollback = attachSessionRollback(trader, { store, dataDir: dataDirOf(flags), freezeFile: resolve(FREEZE_FILE), notifier: (alert) => alerting.hub.notify(alert) })
      const deployed = (await store.loadStrategyVersions()).some((v) => v.status === 'last_good')
      const hooks = deployed ? rollback.hooks : undefined
      if (hooks !== undefined) stopRollbackWatch = hooks.watchKillSwitch(trader.safety.killSwitch, new WallClock())
      // As in `sofia run`: a running roll-out of one of the session's strategies is taken over by this session.
      if (hosted.exchange !== undefined && canaryConfig !== undefined) {
        liveCanary = await attachLiveCanary({ session: hosted.exchange, store, config: canaryConfig, rollback, strategies: specs.map((x) => x.name), specs, log: common.onAlert })
        const canary = liveCanary
        if (canary !== undefined) stopCanary = () => canary.stop()
      }
      // Reconciliation compares the session's fills with its primary leg's own record, which starts afresh
      // when the primary leg changes (simulator ↔ exchange): only the fills since then are compared.
      let historySince = hosted.startedAt
      const router = hosted.exchange?.router
      let primary = router?.primary
      const historyStart = (): number => {
        if (router !== undefined && router.primary !== primary) {
          primary = router.primary
          historySince = Date.now()
        }
        return historySince
      }
      if (router !== undefined) trader.onSample(() => void historyStart())
      const shipHeads = session.config.audit?.shipHeads === true
      alerting = await startAlerting({
        trader,
        metrics,
        dataDir: dataDirOf(flags),
        ...(hooks !== undefined ? { onKillSwitchAlert: (alert) => void hooks.onAlert(alert) } : {}),
        // A critical alert-rule alert counts against the current canary stage (as the safety layer's own do).
        onAlert: (alert) => {
          if (alert.state === 'firing' && alert.severity === 'critical') liveCanary?.reportAlert(alert.at, `${alert.rule}: ${alert.summary}`)
        },
        ...(shipHeads && store.anchor !== undefined ? { shipHeadsOf: store.anchor } : {}),
      })
      for (const line of alerting.config.inactive ?? []) {
        process.stderr.write(`sofia: warning: ${line}\n`)
        logs.push('warn', 'config', line)
      }
      if (shipHeads && store.anchor === undefined) process.stderr.write('sofia: warning: audit.shipHeads is on, but no audit key is configured (SOFIA_AUDIT_KEY / audit.keyFile): no heads are signed, none shipped\n')
      else if (shipHeads && !alerting.hub.names.includes('webhook')) process.stderr.write('sofia: warning: audit.shipHeads is on, but config/alerts.yaml has no webhook notifier: the signed heads go only to the heads file\n')
      // Every trip writes an incident record; trips and pilot-off notify (pilot-off waits for the delivery, bounded).
      attachSafetyRecords(trader.safety, {
        store,
        dataDir: dataDirOf(flags),
        flush: async () => void (await trader.persistence?.flush()),
        notifier: async (alert) => {
          alerting.hub.notify(alert)
          await alerting.hub.drain()
        },
        log: common.onAlert,
      })
      const engine = alerting.engine
      const slo = alerting.slo
      const deps: ApiDeps = {
        alerts: {
          recent: () => [
            ...trader.safety.recentAlerts(),
            ...engine.history(200).map((t) => ({ at: t.at, name: t.rule, level: t.severity, detail: `${t.key}: ${t.from} → ${t.to} (value ${t.value})` })),
          ].sort((a, b) => a.at - b.at),
          firing: () => engine.active(Date.now()),
        },
        slo: { status: () => slo.status(Date.now()) },
        logs,
        candles: new CandleBook().attach(trader.engine.bus),
        trader,
        store,
        tokens,
        metrics,
        get mode() {
          return hosted.mode()
        },
        startedAt: hosted.startedAt,
        running: () => hosted.running(),
        dataDir: dataDirOf(flags),
        ...(hosted.deployment !== undefined ? { deployment: hosted.deployment } : {}),
        get cluster() {
          return cluster
        },
        reconcile: {
          run: (_args, actor) => reconcileSession(trader, store, historyStart(), actor, dataDirOf(flags)),
          positions: (_args, actor) => reconcileBalances(trader, actor),
        },
        reports: {
          eod: async (args) => {
            const day = typeof args['date'] === 'string' ? Date.parse(`${args['date']}T00:00:00Z`) : utcDayStart(Date.now())
            if (Number.isNaN(day)) throw new InputError(`body/date: expected YYYY-MM-DD, got '${String(args['date'])}'`)
            const r = await generateDailyReport(store, { day, dataDir: dataDirOf(flags), currency: trader.ledger.reportingCurrency, send: false })
            return { date: r.report.date, files: r.files, netPnl: r.report.pnl.totals.netPnl.toString(), currency: r.report.currency }
          },
        },
      }
      // The HTTP server (Fastify and its plugins) is loaded here: other commands never pay for it.
      const { buildServer, defaultDashboardDir } = await import('../../api/index.js')
      server = await buildServer(deps, {
        rateLimitPerMinute: rateLimit,
        metricsAuth: flags.metricsAuth === true,
        dashboardDir: defaultDashboardDir(),
        ...(sseLoad !== undefined ? { sseLoadPerSecond: sseLoad } : {}),
        ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
      })
      try {
        await server.app.listen({ host, port })
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
          throw new InputError(`cannot listen on ${host}:${port}: ${code}`, { cause: error })
        }
        throw error
      }
      const address = server.app.server.address() as AddressInfo
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`

      // A cluster node joins before it trades: a halted cluster halts it first.
      if (clusterAt !== undefined) {
        cluster = await joinCluster(
          clusterAt,
          { safety: trader.safety, mode: () => hosted.mode(), strategies: trader.runners.map((r) => r.strategy.id), api: () => url, bus: trader.engine.bus, audit: (type, payload) => trader.persistence?.audit(type, 'system', payload), store: nodeStore(store, flags), ...(leases !== undefined ? { leases } : {}) },
          common.onAlert,
        )
      }
      const running = hosted.run()
      trader.persistence?.setStateQuiet(API_ENDPOINT_KEY, { url, pid: process.pid, startedAt: hosted.startedAt })
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', url, host: address.address, port: address.port, pid: process.pid, store: store.location, ...(onExchange ? { mode: hosted.mode() } : {}) })}\n`,
      )
      let statusTimer: NodeJS.Timeout | undefined
      const tty = process.stdout.isTTY === true
      if (demoToken !== undefined) {
        process.stdout.write(`Dashboard: ${url}/#token=${demoToken}\n(operator token '${DEMO_TOKEN_NAME}', kept in ${join(dataDirOf(flags), DEMO_TOKEN_FILE)}; Ctrl-C stops)\n`)
        let events = 0
        trader.engine.bus.on('market', () => {
          events++
        })
        statusTimer = setInterval(() => printStatus(paperStatus(trader, hosted.startedAt, events), tty), 1_000)
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
        trader.persistence?.setStateQuiet(API_ENDPOINT_KEY, null)
        await server.app.close()
        server = undefined
        hosted.stop()
        await cluster?.leave()
      }
      const stats = await running
      toClose = undefined
      overrideWatch?.stop()
      overrideWatch = undefined
      stopCanary?.()
      stopCanary = undefined
      stopRollbackWatch?.()
      stopRollbackWatch = undefined
      await alerting.stop()
      await tokens.stop()
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
      if (server !== undefined) await server.app.close()
      // A failure before the session ran (or while it ran): it lets go of the exchange and the store first.
      overrideWatch?.stop()
      stopCanary?.()
      stopRollbackWatch?.()
      await cluster?.leave()
      await toClose?.close()
      await store.close()
    }
  })
}

/** Trades older than this are compared (younger ones may still be on their way from the venue to the store). */
const SETTLE_MS = 1_000

function summary(r: ReconciliationReport): Record<string, unknown> {
  return { status: r.status, counts: r.counts, discrepancies: r.discrepancies.slice(0, 100), positions: r.positions }
}

/**
 * Reconciles the session's stored fills against each simulated venue's own trades (since the session
 * started: a restarted in-process venue remembers nothing earlier). Discrepancies trip the kill switch
 * (trigger `reconciliation`), as `sofia reconcile` does.
 */
async function reconcileSession(trader: Trader, store: Store, since: number, actor: string, dataDir: string): Promise<unknown> {
  const to = Date.now() - SETTLE_MS
  const venues: Record<string, unknown> = {}
  const files: string[] = []
  let ok = true
  for (const v of trader.venues) {
    const r = await reconcile(storeTrades(store, { venue: v.id, since, until: to }), venueTrades(v, { since, until: to }), {
      venue: v.id,
      from: since,
      to,
      sources: { internal: 'store', exchange: `venue:${v.id}` },
    })
    ok &&= r.status === 'ok'
    venues[v.id] = summary(r)
    files.push(await writeReconciliationReport(dataDir, r))
  }
  trader.persistence?.audit('reconciliation.run', actor, { status: ok ? 'ok' : 'discrepancies', from: since, to, venues: Object.keys(venues), files })
  if (!ok) trader.safety.execute({ command: 'reconciliation.failed', args: { reason: 'API reconciliation found discrepancies' }, actor })
  return { status: ok ? 'ok' : 'discrepancies', from: since, to, venues, files }
}

/** Writes a report where `sofia reconcile` writes its own (<data-dir>/reports/reconciliation/), for the dashboard's list of runs. */
async function writeReconciliationReport(dataDir: string, report: ReconciliationReport): Promise<string> {
  const dir = join(dataDir, 'reports', 'reconciliation')
  await mkdir(dir, { recursive: true })
  const name = `reconciliation_${new Date(Date.parse(report.generatedAt)).toISOString().replace(/[-:]/g, '').replace('.', '')}`
  let file = join(dir, `${name}.json`)
  for (let n = 2; existsSync(file); n++) file = join(dir, `${name}-${n}.json`)
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`, { flag: 'wx' })
  return file
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

/** The ledger's balances against each venue's fetchBalance totals. */
async function reconcileBalances(trader: Trader, actor: string): Promise<unknown> {
  const venues: Record<string, unknown> = {}
  let ok = true
  for (const v of trader.venues) {
    const internal: Record<string, string> = {}
    for (const b of trader.ledger.balances(v.id)) internal[b.asset] = b.total.toString()
    const exchange: Record<string, string> = {}
    for (const [asset, b] of Object.entries(await v.fetchBalance())) exchange[asset] = b.total.toString()
    const r = await reconcile([], [], { venue: v.id, balances: { internal, exchange }, sources: { internal: 'ledger', exchange: `venue:${v.id}` } })
    ok &&= r.status === 'ok'
    venues[v.id] = summary(r)
  }
  trader.persistence?.audit('reconciliation.balances', actor, { status: ok ? 'ok' : 'discrepancies', venues: Object.keys(venues) })
  return { status: ok ? 'ok' : 'discrepancies', venues }
}

/**
 * @module desk/desk
 * An operator's desk around one trading session, as `sofia serve` and `sofia run` run it: the session (the synthetic market,
 * or an exchange's feed behind the mode router), the operations around it (incident records, the position
 * override watch, rollback, a running roll-out taken over), the alert rules and notifiers, the API tokens, the
 * operator HTTP API with its reconciliation and report routes (`sofia serve` only), and the cluster it may join.
 *
 * `openDesk` builds all of it and listens (given `server`); `run()` starts trading; `stop()` stops serving and trading;
 * `close()` lets go of what is left. The store is the caller's: opened before, closed after.
 */
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { API_ENDPOINT_KEY } from '../api/client.js'
import { TokenRegistry } from '../api/tokens.js'
import type { TokenChange } from '../api/tokens.js'
import type { ApiDeps, ApiServer } from '../api/index.js'
import { accountLeases, joinCluster, sessionMember } from '../cluster/join.js'
import type { ClusterSettings } from '../cluster/join.js'
import type { AccountLease, ClusterNode, ClusterNodeOptions } from '../cluster/node.js'
import { InputError } from '../model/index.js'
import { LogBuffer, createMetrics, levelOfLine } from '../observability/index.js'
import type { CanaryConfig } from '../ops/canary/index.js'
import { generateDailyReport } from '../ops/pnl/index.js'
import { utcDayStart } from '../risk/index.js'
import type { Store } from '../store/index.js'
import { CandleBook, attachMetrics, buildSession, describeResync, startAlerting } from '../system/index.js'
import type { Alerting, ExchangeConfig, PaperConfig, Session, SessionOutcome, StrategySpec, Trader } from '../system/index.js'
import { attachOperations } from './operations.js'
import type { Operations } from './operations.js'
import { reconcileBalances, reconcileSession } from './reconcile.js'

/** What the desk gives every session it opens. */
type DeskProvided = 'store' | 'marketDir' | 'onAlert'
type ExchangeProvided = DeskProvided | 'metrics' | 'onResync'

/** The session the desk builds (`buildSession`), but what the desk gives it. */
export type DeskSession = Omit<PaperConfig, DeskProvided> | Omit<ExchangeConfig, ExchangeProvided>

export interface DeskServer {
  readonly host: string
  readonly port: number
  readonly rateLimitPerMinute: number
  readonly metricsAuth: boolean
  readonly logLevel?: string
  readonly sseLoadPerSecond?: number
}

export interface DeskOptions {
  readonly store: Store
  readonly dataDir: string
  /** What the dashboard's backtests may run besides the built-ins (`ApiDeps.backtests`). */
  readonly backtests?: ApiDeps['backtests']
  readonly session: DeskSession
  /** The strategies as the operator named them, with their parameters (a roll-out of one of them is taken over). */
  readonly specs: readonly StrategySpec[]
  /** The roll-out stages (config/canary.yaml); only a session on an exchange takes a roll-out over. */
  readonly canary?: CanaryConfig
  /** Where the API listens; beyond loopback only once a token exists. Without it the desk serves no API (`sofia run`). */
  readonly server?: DeskServer
  readonly cluster?: { readonly settings: ClusterSettings; readonly store: NonNullable<ClusterNodeOptions['store']> }
  /** `audit.shipHeads`: every signed audit head also goes to the webhook notifier. */
  readonly shipHeads: boolean
  /** A session's alert lines (stderr), and warnings about the configuration. */
  readonly log: (line: string) => void
  readonly warn: (line: string) => void
}

/** Where a desk's API listens. */
export interface DeskApi {
  /** e.g. http://127.0.0.1:8023 */
  readonly url: string
  readonly address: AddressInfo
}

export interface Desk {
  /** The operator API, when the desk serves one. */
  readonly api: DeskApi | undefined
  readonly session: Session
  readonly trader: Trader
  /** Starts trading; resolves with the session's outcome once it has stopped (`stop()`, or a pilot-off). */
  run(): Promise<SessionOutcome>
  /** Stops serving and trading: the API server closes, the session's feed ends, the node leaves its cluster. */
  stop(): Promise<void>
  /** Lets go of everything the desk holds, the session too when it never ran to its end. Safe to call again. */
  close(): Promise<void>
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

/** A desk that serves the operator API. */
export interface ServedDesk extends Desk {
  readonly api: DeskApi
}

export async function openDesk(o: DeskOptions & { readonly server: DeskServer }): Promise<ServedDesk>
export async function openDesk(o: DeskOptions): Promise<Desk>
export async function openDesk(o: DeskOptions): Promise<Desk> {
  const { store, dataDir } = o
  // Token changes made with `sofia tokens` while the session runs are audited by it (the session alone appends).
  let audit: ((c: TokenChange) => void) | undefined
  const tokens = new TokenRegistry(store, { onChange: (c) => audit?.(c) })
  await tokens.start()
  if (o.server !== undefined && !isLoopback(o.server.host) && tokens.usableCount() === 0) {
    await tokens.stop()
    throw new InputError(`refusing to serve on ${o.server.host} (beyond loopback) with no API token: create one with 'sofia tokens create --name NAME --role operator' or bind 127.0.0.1`)
  }
  const metrics = createMetrics()
  // What this process writes to its log, also kept for GET /logs and the dashboard's Logs page.
  const logs = new LogBuffer()
  const onAlert = (line: string): void => {
    o.log(line)
    logs.push(levelOfLine(line), 'session', line)
  }
  const common = { store, marketDir: join(dataDir, 'market'), onAlert }
  let hosted: Session | undefined
  let ops: Operations | undefined
  let alerting: Alerting | undefined
  let server: ApiServer | undefined
  let cluster: ClusterNode | undefined
  let ran = false
  const close = async (): Promise<void> => {
    const s = server
    server = undefined
    await s?.app.close()
    ops?.stop()
    ops = undefined
    const node = cluster
    cluster = undefined
    await node?.leave()
    // A failure before the session ran (or while it ran): it lets go of the exchange and the store first.
    if (!ran) await hosted?.close()
    hosted = undefined
    await alerting?.stop()
    alerting = undefined
    await tokens.stop()
  }
  try {
    let leases: AccountLease[] | undefined
    if (o.session.kind === 'exchange') {
      leases = accountLeases(o.session.exchange, o.session.symbols)
      // The metrics and the market recording are attached by the exchange session itself.
      hosted = await buildSession({ ...o.session, ...common, metrics, onResync: (r) => onAlert(describeResync(r)) })
    } else {
      hosted = await buildSession({ ...o.session, ...common })
    }
    const session = hosted
    const trader = session.trader
    audit = (c) =>
      trader.persistence?.audit(`api.token.${c.change}`, c.change === 'created' ? c.token.createdBy : 'operator:cli', { name: c.name, role: c.token.role, expiresAt: c.token.expiresAt })
    if (session.exchange === undefined) attachMetrics(trader, metrics)
    // Incident records and notifications, the position override watch, rollback (on its own for a deployment under
    // the registry: a critical alert whose action trips the kill switch, or the KILL_SWITCH file; `sofia rollback`
    // from another process through the control channel), and a running roll-out taken over.
    const notifier = (): Alerting['hub'] | undefined => alerting?.hub
    const operations = await attachOperations({
      trader,
      ...(session.exchange !== undefined ? { exchange: session.exchange } : {}),
      store,
      dataDir,
      specs: o.specs,
      ...(o.canary !== undefined ? { canary: o.canary } : {}),
      notify: async (alert) => {
        const hub = notifier()
        hub?.notify(alert)
        await hub?.drain()
      },
      log: onAlert,
    })
    ops = operations
    // Reconciliation compares the session's fills with its primary leg's own record, which starts afresh
    // when the primary leg changes (simulator ↔ exchange): only the fills since then are compared.
    let historySince = session.startedAt
    const router = session.exchange?.router
    let primary = router?.primary
    const historyStart = (): number => {
      if (router !== undefined && router.primary !== primary) {
        primary = router.primary
        historySince = Date.now()
      }
      return historySince
    }
    if (router !== undefined) trader.onSample(() => void historyStart())
    const anchor = o.shipHeads ? store.anchor : undefined
    const started = await startAlerting({
      trader,
      metrics,
      dataDir,
      ...(operations.hooks !== undefined ? { onKillSwitchAlert: (alert) => void operations.hooks?.onAlert(alert) } : {}),
      // A critical alert-rule alert counts against the current canary stage (as the safety layer's own do).
      onAlert: (alert) => {
        if (alert.state === 'firing' && alert.severity === 'critical') operations.canary?.reportAlert(alert.at, `${alert.rule}: ${alert.summary}`)
      },
      ...(anchor !== undefined ? { shipHeadsOf: anchor } : {}),
    })
    alerting = started
    for (const line of started.config.inactive ?? []) {
      o.warn(line)
      logs.push('warn', 'config', line)
    }
    if (o.shipHeads && store.anchor === undefined) o.warn('audit.shipHeads is on, but no audit key is configured (SOFIA_AUDIT_KEY / audit.keyFile): no heads are signed, none shipped')
    else if (o.shipHeads && !started.hub.names.includes('webhook')) o.warn('audit.shipHeads is on, but config/alerts.yaml has no webhook notifier: the signed heads go only to the heads file')

    const engine = started.engine
    const slo = started.slo
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
      session,
      store,
      tokens,
      metrics,
      dataDir,
      ...(o.backtests !== undefined ? { backtests: o.backtests } : {}),
      get cluster() {
        return cluster
      },
      reconcile: {
        run: (_args, actor) => reconcileSession(trader, store, historyStart(), actor, dataDir),
        positions: (_args, actor) => reconcileBalances(trader, actor),
      },
      reports: {
        eod: async (args) => {
          const day = typeof args['date'] === 'string' ? Date.parse(`${args['date']}T00:00:00Z`) : utcDayStart(Date.now())
          if (Number.isNaN(day)) throw new InputError(`body/date: expected YYYY-MM-DD, got '${String(args['date'])}'`)
          const r = await generateDailyReport(store, { day, dataDir, currency: trader.ledger.reportingCurrency, send: false })
          return { date: r.report.date, files: r.files, netPnl: r.report.pnl.totals.netPnl.toString(), currency: r.report.currency }
        },
      },
    }
    let api: DeskApi | undefined
    if (o.server !== undefined) {
      const served = await listen(deps, o.server)
      server = served.server
      api = served.api
    }
    const url = api?.url

    // A cluster node joins before it trades: a halted cluster halts it first.
    if (o.cluster !== undefined) {
      const member = sessionMember(trader, () => session.mode(), { store: o.cluster.store, leases, ...(url !== undefined ? { api: () => url } : {}) })
      cluster = await joinCluster(o.cluster.settings, member, onAlert)
    }
    return {
      api,
      session,
      trader,
      run: async () => {
        const running = session.start()
        if (url !== undefined) trader.persistence?.setStateQuiet(API_ENDPOINT_KEY, { url, pid: process.pid, startedAt: session.startedAt })
        const outcome = await running
        ran = true
        return outcome
      },
      stop: async () => {
        if (url !== undefined) trader.persistence?.setStateQuiet(API_ENDPOINT_KEY, null)
        const s = server
        server = undefined
        await s?.app.close()
        session.stop()
        const node = cluster
        cluster = undefined
        await node?.leave()
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** Builds the operator API over `deps` and listens where `at` says (a port taken or an address not ours: one line, exit 2). */
async function listen(deps: ApiDeps, at: DeskServer): Promise<{ server: ApiServer; api: DeskApi }> {
  // The HTTP server (Fastify and its plugins) is loaded here: other commands never pay for it.
  const { buildServer, defaultDashboardDir } = await import('../api/index.js')
  const server = await buildServer(deps, {
    rateLimitPerMinute: at.rateLimitPerMinute,
    metricsAuth: at.metricsAuth,
    dashboardDir: defaultDashboardDir(),
    ...(at.sseLoadPerSecond !== undefined ? { sseLoadPerSecond: at.sseLoadPerSecond } : {}),
    ...(at.logLevel !== undefined ? { logLevel: at.logLevel } : {}),
  })
  try {
    await server.app.listen({ host: at.host, port: at.port })
  } catch (error) {
    await server.app.close()
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
      throw new InputError(`cannot listen on ${at.host}:${at.port}: ${code}`, { cause: error })
    }
    throw error
  }
  const address = server.app.server.address() as AddressInfo
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  return { server, api: { url, address } }
}

/**
 * @module system/exchange-session
 * A trading session on a real exchange's market data: paper, shadow, canary, live or testnet (DESIGN §2),
 * on the wall clock. It connects the CCXT adapter (when keys are given) and the live feed, puts a mode
 * router in front of the simulator and the exchange, builds the same Trader as every other mode, resyncs
 * with the exchange before the first order when the exchange is the primary leg, and answers the operator's
 * `mode.set`, `shadow.rollback` and `resync` commands. The router's status (mode, shadow vs live P&L, shadow
 * order count) is written to the store with each equity sample, for `sofia shadow status`.
 */
import { WallClock } from '../engine/index.js'
import type { Decimal, Instrument } from '../model/index.js'
import { InputError, dec } from '../model/index.js'
import type { SofiaMetrics } from '../observability/index.js'
import type { Store } from '../store/index.js'
import type { Strategy } from '../strategy/index.js'
import type { CcxtExchange, CcxtExchangeSpec, LiveFeed } from '../venues/index.js'
import type { CcxtVenue } from '../venues/ccxt.js'
import { ACCOUNT_KEY, SESSION_MODE_KEY, nextPeriods } from './account-periods.js'
import type { AccountPeriods } from './account-periods.js'
import { assertNoLiveSession } from './control.js'
import { takeExchangeAccount } from './exchange-account.js'
import { parseCommand } from './commands.js'
import { attachMetrics } from './metrics-wiring.js'
import { ModeRouter, ROUTER_MODES, primaryLeg } from '../execution/mode-router.js'
import type { RouterMode, RouterStatus } from '../execution/mode-router.js'
import { resync } from './resync.js'
import { ContinuousReconciler, withStartupRetry } from './continuous-reconcile.js'
import type { ReconcilerOptions } from './continuous-reconcile.js'
import type { ResyncSummary } from './resync.js'
import type { RiskSettings } from './risk-setup.js'
import { answer } from './command-results.js'
import type { CommandOutcome } from './command-results.js'
import { Trader } from './trader.js'
import { MarketRecorder } from './market-recorder.js'
import type { StrategySpec } from './session.js'
import type { RecoverySummary } from './recovery.js'
import { sessionGuards } from './session-config.js'
import type { TraderOptions } from './session-config.js'

/** Store state key of the router's last status (read by `sofia shadow status`). */
export const SHADOW_STATUS_KEY = 'shadow.status'
export { SESSION_MODE_KEY }
/** How far back the final resync of a stopping session looks: fills made while its cancels were on their way. */
const STOP_LOOKBACK_MS = 5 * 60_000

export interface ExchangeSessionOptions {
  readonly mode: RouterMode
  readonly exchange: CcxtExchangeSpec
  /** Venue id in the session's records (default: the exchange id). */
  readonly venueId?: string
  readonly symbols: readonly string[]
  readonly strategies: readonly Strategy[]
  readonly signal: AbortSignal
  /** Share of each intent the canary sends to the exchange, 1–100. */
  readonly canaryPercentage: number
  /** The simulator's starting balances (default: the exchange's, or 10 000 of the quote without keys). */
  readonly shadowBalances?: Readonly<Record<string, string>>
  readonly store?: Store
  readonly riskSettings?: RiskSettings
  readonly positionOverride?: TraderOptions['positionOverride']
  readonly killFile?: string
  readonly metrics?: SofiaMetrics
  readonly latencyMs?: number
  readonly onAlert?: (line: string) => void
  readonly onRecovered?: (summary: RecoverySummary) => void
  /** Called once the session is built (before resync and the first event); awaited. */
  readonly onReady?: (session: ExchangeSession) => void | Promise<void>
  readonly onResync?: (summary: ResyncSummary) => void
  /** Name and parameters of each strategy by id, recorded in `session.started` (for `sofia replay`). */
  readonly strategyParams?: Readonly<Record<string, StrategySpec>>
  /**
   * Where the session's market data comes from instead of the exchange's own feed (the cluster's, `--market-data
   * nats`): called once with the venue id the events must carry.
   */
  readonly marketData?: (o: { venue: string; symbols: readonly string[]; signal: AbortSignal; onError: (message: string) => void }) => LiveFeed
  /** Where the market data of the feed is recorded (`<data-dir>/market`); none without it. */
  readonly marketDir?: string
  /** Continuous reconciliation while trading on the exchange (see ContinuousReconciler). */
  readonly reconcile?: Omit<ReconcilerOptions, 'trader' | 'venueId' | 'assets' | 'venue' | 'owns' | 'onAlert'>
}

export interface ExchangeSession {
  readonly trader: Trader
  readonly router: ModeRouter
  /** The CCXT adapter (undefined without keys: paper and shadow only). */
  readonly venue: CcxtVenue | undefined
  readonly feed: LiveFeed
  /** Runs an operator command the way the control channel does. */
  command(command: 'mode.set' | 'shadow.rollback' | 'resync', args: Record<string, unknown>, actor: string): Promise<CommandOutcome<'mode.set' | 'shadow.rollback' | 'resync'>>
}

export interface ExchangeSessionResult {
  readonly session: ExchangeSession
  readonly status: RouterStatus
  readonly resync: ResyncSummary | undefined
  readonly pnl: { readonly realized: Decimal; readonly unrealized: Decimal; readonly fees: Decimal; readonly net: Decimal }
}

function needsKeys(mode: RouterMode): boolean {
  return mode === 'canary' || mode === 'live' || mode === 'testnet'
}

export async function runExchangeSession(options: ExchangeSessionOptions): Promise<ExchangeSessionResult> {
  const { CcxtFeed, CcxtVenue, closeCcxtExchange, createCcxtExchange, instrumentOf, mapCcxtError, TICK_SIZE, tolerateCcxtStreamErrors } = await import('../venues/ccxt.js')
  const { mode } = options
  if (!(ROUTER_MODES as readonly string[]).includes(mode)) throw new InputError(`mode must be one of ${ROUTER_MODES.join(', ')}`)
  const hasKeys = (options.exchange.apiKey ?? '') !== '' && (options.exchange.secret ?? '') !== ''
  if (needsKeys(mode) && !hasKeys) throw new InputError(`mode ${mode} needs API_KEY and API_SECRET (exchange.apiKey / exchange.apiSecret)`)
  // Refused before anything connects to the exchange: a second session on the store would trade the same account.
  if (options.store !== undefined) await assertNoLiveSession(options.store, 'the store')
  const venueId = options.venueId ?? options.exchange.exchangeId
  const spec: CcxtExchangeSpec = { ...options.exchange, sandbox: options.exchange.sandbox === true || mode === 'testnet' }
  const onError = (line: string): void => options.onAlert?.(line)
  tolerateCcxtStreamErrors(onError)
  const exchanges: CcxtExchange[] = []
  let venue: CcxtVenue | undefined
  const ref: { trader?: Trader } = {}
  try {
    let instruments: Instrument[]
    if (hasKeys) {
      const ex = createCcxtExchange(spec)
      exchanges.push(ex)
      // The keys are checked over REST first: with a bad key ccxt's user stream raises its error where nothing
      // can catch it (an unhandled rejection), instead of one clear line here.
      // A 429 or a 5xx here is the exchange being busy, not a bad key: waited out (Retry-After honoured).
      await withStartupRetry(
        () => ex.fetchBalance(),
        (error) => mapCcxtError(error, { what: `${venueId}: checking the API keys (fetchBalance)`, secrets: [spec.apiKey ?? '', spec.secret ?? ''].filter((x) => x !== ''), headers: ex.last_response_headers }),
        onError,
      )
      venue = await CcxtVenue.connect({
        id: venueId,
        exchange: ex,
        symbols: options.symbols,
        onError,
        ...(options.metrics !== undefined ? { reconnects: options.metrics.wsReconnects } : {}),
      })
      instruments = [...venue.instruments()]
    } else {
      const ex = createCcxtExchange({ ...spec, apiKey: '', secret: '' })
      exchanges.push(ex)
      const markets = await ex.loadMarkets()
      instruments = options.symbols.map((s) => {
        const m = markets[s]
        if (m === undefined) throw new InputError(`--symbols: ${venueId} does not list ${s}`)
        return instrumentOf(m, ex.precisionMode ?? TICK_SIZE)
      })
    }
    const reportingCurrency = instruments[0]!.quote
    const assets = new Set(instruments.flatMap((i) => [i.base, i.quote]))
    const exchangeBalances: Record<string, string> = {}
    if (venue !== undefined) {
      for (const [asset, b] of Object.entries(await venue.fetchBalance())) if (assets.has(asset)) exchangeBalances[asset] = b.total.toString()
    }
    const shadowBalances = options.shadowBalances ?? (venue !== undefined ? exchangeBalances : { [reportingCurrency]: '10000' })
    const clock = new WallClock()
    const router = new ModeRouter({
      id: venueId,
      mode,
      clock,
      instruments,
      balances: { ...shadowBalances },
      ...(venue !== undefined ? { live: venue } : {}),
      canaryPercentage: options.canaryPercentage,
      reportingCurrency,
      latencyMs: options.latencyMs ?? 20,
      audit: (type, actor, payload) => ref.trader?.persistence?.audit(type, actor, payload),
      log: onError,
    })
    // Fills on the exchange of a canary's copies share the client order id of the simulator's order: not ours.
    const owns = (clientOrderId: string): boolean => router.primaryOf(clientOrderId) !== 'sim'
    const command = async (name: 'mode.set' | 'shadow.rollback' | 'resync', args: Record<string, unknown>, actor: string): Promise<CommandOutcome<'mode.set' | 'shadow.rollback' | 'resync'>> => {
      const parsed = parseCommand(name, args, actor)
      if (!parsed.ok) return { ok: false, error: parsed.error }
      const c = parsed.value
      const t = ref.trader!
      if (c.command === 'resync') {
        if (venue === undefined || router.primary !== 'live') return { ok: false, error: `resync: the session's orders are not on the exchange in mode ${router.mode}` }
        const summary = await resync(t, venue, { actor, owns, adopt: c.args.adopt === true, onAlert: onError })
        options.onResync?.(summary)
        return answer(c, summary)
      }
      if (c.command !== 'mode.set' && c.command !== 'shadow.rollback') return { ok: false, error: `${c.command}: not a command of the session's modes` }
      const to = c.command === 'shadow.rollback' ? 'shadow' : c.args.mode
      if (c.command === 'shadow.rollback' && router.mode !== 'canary' && router.mode !== 'live' && router.mode !== 'testnet') {
        return { ok: false, error: `shadow rollback: the session is in ${router.mode}, not canary or live` }
      }
      // A change of percentage while in canary: new orders' exchange copies take it; nothing is cancelled.
      const pct = c.command === 'mode.set' ? c.args.percentage : undefined
      if (pct !== undefined) {
        const before = router.canaryPercentage
        router.setCanaryPercentage(pct, actor)
        if (router.mode === 'canary') {
          t.persistence?.setStateQuiet(SHADOW_STATUS_KEY, router.status())
          return answer(c, { from: 'canary', to: 'canary', percentageFrom: before, percentage: pct, cancelled: 0, status: router.status() })
        }
      }
      try {
        const r = await router.setMode(to, actor, {
          cancelPrimary: async () => {
            // Up to 15 s: an order in flight is settled only once the exchange can no longer accept it (~13 s).
            const report = await t.orders.cancelAllConfirmed({ venue: venueId }, 15_000)
            const left = report.pending.length
            if (left > 0) throw new InputError(`${left} open orders did not confirm their cancel within 15 s; mode unchanged`)
            return report.requested
          },
          balances: () => {
            const out: Record<string, string> = {}
            for (const b of t.ledger.balances(venueId)) out[b.asset] = b.total.toString()
            return out
          },
          ready: async (from, now) => {
            // No order is taken until this is done: the orders before this moment were the old leg's.
            const next = nextPeriods(periods, primaryLeg(now), clock.now())
            if (primaryLeg(from) === 'sim' && primaryLeg(now) === 'live' && venue !== undefined) {
              // From here on the session's ledger is the exchange account: its orders and fills, then the ledger
              // without the simulator's fills and with the exchange's balances. The exchange answers first: if it
              // does not, nothing has changed and the session stays in its old mode.
              const balances = await venue.fetchBalance()
              const summary = await resync(t, venue, { actor, owns })
              await takeExchangeAccount(t, balances, venueId, assets, next, actor)
              options.onResync?.(summary)
            }
            periods = next
            t.persistence?.setStateQuiet(ACCOUNT_KEY, periods)
          },
        })
        if (c.command === 'shadow.rollback') t.persistence?.audit('shadow.rollback', actor, { ...r, reason: c.args.reason })
        t.persistence?.setState(SESSION_MODE_KEY, router.mode, actor)
        t.persistence?.setStateQuiet(SHADOW_STATUS_KEY, router.status())
        return answer(c, { ...r, status: router.status() })
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) }
      }
    }
    // The ledger starts from what the primary leg holds: the exchange's balances when trading live.
    const startBalances = router.primary === 'live' ? exchangeBalances : shadowBalances
    const trader = await Trader.create({
      clock,
      venues: [{ id: venueId, instruments, balances: startBalances, venue: router }],
      strategies: options.strategies,
      reportingCurrency,
      equitySampleMs: 1_000,
      mode,
      flushIntervalMs: 200,
      ...sessionGuards(options),
      ...(options.strategyParams !== undefined ? { strategyParams: options.strategyParams } : {}),
      controlHandler: (request) => command(request.command as 'mode.set' | 'shadow.rollback' | 'resync', { ...request.args }, request.actor),
      uniqueClientIds: true,
      account: primaryLeg(mode),
    })
    ref.trader = trader
    let periods: AccountPeriods = trader.account!.periods
    if (options.marketDir !== undefined) MarketRecorder.attach(trader, options.marketDir, options.onAlert)
    options.onRecovered?.(trader.recovery)
    if (options.metrics !== undefined) attachMetrics(trader, options.metrics)
    const t = trader
    trader.onSample(() => t.persistence?.setStateQuiet(SHADOW_STATUS_KEY, router.status()))
    // On stop, a session trading on the exchange leaves nothing working there: cancel, wait, then end the feed.
    const feedStop = new AbortController()
    // Set once the session goes ahead after `onReady`: from then on it may act on the exchange (resync, orders).
    let began = false
    const onStop = (): void => {
      void (async () => {
        // No new order from here on: a quoting strategy would otherwise re-quote while the cancels are confirmed,
        // and an order placed then could fill after the last look at the exchange.
        router.stop()
        reconciler.stop()
        // Stopped before it began (a node the cluster refused, a desk that failed to open): it has sent nothing,
        // and the account's orders are another session's to settle, so nothing is cancelled or resynced.
        if (!began) {
          feedStop.abort()
          return
        }
        if (router.primary === 'live') {
          const report = await t.orders.cancelAllConfirmed({ venue: venueId }, 5_000)
          if (report.pending.length > 0) {
            // Recorded as pending-cancel: the next start asks for these cancels again before trading.
            onError(`stopping with ${report.pending.length} order(s) whose cancel the exchange has not confirmed: ${report.pending.join(', ')}`)
          }
          // A fill made while the cancels were on their way may not have been pushed yet: ask for it.
          if (venue !== undefined) {
            await resync(t, venue, { actor: 'system', owns, lookbackMs: STOP_LOOKBACK_MS }).catch((error: unknown) =>
              onError(`final resync failed: ${error instanceof Error ? error.message : String(error)}`),
            )
          }
        } else if (router.mode === 'canary') {
          // The session's orders are the simulator's; their canary copies are on the exchange.
          const report = await router.cancelOwnOrders(undefined, 5_000)
          if (report.pending.length > 0) onError(`stopping with ${report.pending.length} canary order(s) whose cancel the exchange has not confirmed: ${report.pending.join(', ')}`)
        }
        feedStop.abort()
      })()
    }
    if (options.signal.aborted) onStop()
    else options.signal.addEventListener('abort', onStop, { once: true })
    const feed = options.marketData !== undefined ? options.marketData({ venue: venueId, symbols: options.symbols, signal: feedStop.signal, onError }) : exchangeFeed()
    function exchangeFeed(): LiveFeed {
      const feedExchange = createCcxtExchange({ ...spec, apiKey: '', secret: '' })
      exchanges.push(feedExchange)
      return new CcxtFeed({
        venue: venueId,
        exchange: feedExchange,
        symbols: options.symbols,
        signal: feedStop.signal,
        onError,
        ...(options.metrics !== undefined ? { reconnects: options.metrics.wsReconnects } : {}),
      })
    }
    const session: ExchangeSession = { trader, router, venue, feed, command }
    const reconciler = new ContinuousReconciler({
      trader,
      venueId,
      assets,
      venue: () => (venue !== undefined && router.primary === 'live' ? venue : undefined),
      owns,
      onAlert: onError,
      ...(options.reconcile !== undefined ? options.reconcile : {}),
    })
    await options.onReady?.(session)
    // Closed while it waited to start: nothing reaches the exchange. A resync here would cancel the open orders
    // on the account that this store does not know, and those are the orders of the session that holds it.
    if (options.signal.aborted) {
      await trader.persistence?.barrier()
      return { session, status: router.status(), resync: undefined, pnl: trader.pnl() }
    }
    began = true
    // Before any new order: the exchange's view of our orders and fills wins.
    let resynced: ResyncSummary | undefined
    if (venue !== undefined && router.primary === 'live') {
      // A start on a store last used in shadow: the simulator's fills are not this account's.
      if (trader.account?.rebased === true) {
        const { fillsReplayed, simulatedFillsLeftOut } = trader.recovery
        await takeExchangeAccount(trader, await venue.fetchBalance(), venueId, assets, periods, 'system', { fills: fillsReplayed, leftOut: simulatedFillsLeftOut ?? 0 })
      }
      resynced = await resync(trader, venue, { actor: 'system', onAlert: onError })
      options.onResync?.(resynced)
    }
    trader.persistence?.setStateQuiet(SESSION_MODE_KEY, router.mode)
    reconciler.start()
    await trader.run(feed)
    trader.persistence?.setStateQuiet(SHADOW_STATUS_KEY, router.status())
    const barrier = trader.persistence?.barrier()
    if (barrier !== undefined) await barrier
    return { session, status: router.status(), resync: resynced, pnl: trader.pnl() }
  } finally {
    ref.trader?.orders.dispose()
    await venue?.close()
    await Promise.all(exchanges.map((e) => closeCcxtExchange(e)))
  }
}

/** Parses a `--balance ASSET=AMOUNT` map strictly. */
export function balancesOf(raw: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [asset, amount] of Object.entries(raw)) out[asset] = dec(amount).toString()
  return out
}

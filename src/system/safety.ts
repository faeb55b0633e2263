/**
 * @module system/safety
 * The safety layer at run time: the kill switch, trading states, runtime monitors and circuit breakers, and
 * what happens when one of them acts. A trip HALTS trading (no order of any kind; only an operator's flatten
 * while it reduces) and cancels every open order on every venue in the same event that caused it, records who,
 * why and what Sofia saw (audit + store + incident record), notifies, and survives restarts (an automatic trip
 * also writes the KILL_SWITCH file). In shadow, where nothing reaches the exchange, the simulator leg trades on. Daily loss is watched on every market event (a float estimate, confirmed exactly before acting);
 * the other monitors are evaluated once a second of engine time.
 *
 * Operators reach it through `execute(request)` (the control channel or the API), the `KILL_SWITCH` file in
 * the working directory, or configuration.
 */
import { existsSync } from 'node:fs'
import type { Component } from '../engine/index.js'
import type { Decimal } from '../model/index.js'
import type { CircuitBreakers, KillSwitch, KillSwitchEvent, KillSwitchTrigger, RiskMonitors, TradingState } from '../risk/index.js'
import { isAutomaticTrigger } from '../risk/index.js'
import type { ControlCommand, ControlRequest } from './control.js'
import { nonZeroPositions } from './positions.js'
import { DailyLoss } from './daily-loss.js'
import { StalePauses } from './stale-pauses.js'
import type { StalePauseChange } from './stale-pauses.js'
import { flattenPositions } from './operator-orders.js'
import { parseCommand } from './commands.js'
import { ControlInbox, writeKillFile } from './control-inbox.js'
import { SafetyAlerts } from './listeners.js'
import type { SafetyAlert } from './listeners.js'
import { dispatch, dispatchAsync } from './dispatch.js'
import { Listeners } from './listeners.js'
import { CRITICAL_TRIGGER, MonitorGuard } from './monitor-guard.js'
import type { SafetyListener, SafetyNotice, SafetyOptions, SafetyStateChange, StateChange } from './safety-types.js'
import type { CommandOutcome, FlattenResult, RollbackHandler, SafetyStatus } from './command-results.js'
import { KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, SHUTDOWN_NOTIFY_MS, TRADING_STATES_KEY } from './safety-types.js'

export * from './safety-types.js'

export class Safety implements Component {
  readonly name = 'safety'
  /** The daily-loss limit, watched on every event. */
  private readonly loss: DailyLoss
  /** Strategies held to reducing orders while a feed they depend on is stale. */
  private readonly stale: StalePauses
  private readonly guard: MonitorGuard
  private readonly inbox: ControlInbox | undefined
  private readonly alerts: SafetyAlerts
  private rollbackHandler: RollbackHandler | undefined
  private readonly notices: Listeners<SafetyNotice>
  private readonly switchListeners: Listeners<KillSwitchEvent>
  private readonly stateListeners: Listeners<SafetyStateChange>

  constructor(private readonly o: SafetyOptions) {
    this.loss = new DailyLoss({
      ...o,
      halted: () => o.killSwitch.active,
      onBreach: (breach, simulated) => {
        if (!simulated) this.activate('daily_loss', breach, 'system')
        else this.alert('daily_loss', 'warning', `${breach} (simulated leg: shadow sends nothing to the exchange, the kill switch stays as it is)`)
      },
    })
    this.stale = new StalePauses(o.strategyFeeds, (c) => this.onStalePause(c))
    this.alerts = new SafetyAlerts(o.clock, o.persistence)
    this.notices = new Listeners('notice', o.log)
    this.switchListeners = new Listeners('kill switch', o.log)
    this.stateListeners = new Listeners('state change', o.log)
    this.guard = new MonitorGuard(o, this.loss, this.stale, { activate: (...a) => this.activate(...a), setTradingState: (...a) => this.setTradingState(...a), alert: (n, l, d) => this.alert(n, l, d) })
    this.inbox = o.wallClock
      ? new ControlInbox({ ...o, execute: (request) => this.executeAsync(request), onKillFile: (path) => this.activate('file', `${path} appeared`, 'operator:file') })
      : undefined
    const watchesData = o.monitors.watchesData
    o.bus.on('market', (e) => {
      if (watchesData) o.monitors.observeData(e.timestamp, `${e.venue}:${e.symbol}`)
      if (e.timestamp >= this.loss.dayEnd) this.loss.rollDay(e.timestamp)
      if (this.loss.waitsForPrices) this.loss.valueIfPriced(e.venue, e.symbol)
      if (e.kind === 'trade' || e.kind === 'bar') this.loss.onPrice(e.venue, e.symbol, e.kind === 'trade' ? e.price : e.close)
    })
    o.bus.on('fill', ({ trade }) => {
      this.loss.refreshExposure(trade.venue, trade.symbol)
      this.loss.check(true)
    })
    o.bus.on('order', ({ order, event, recovered }) => {
      if (event.type === 'submitted') {
        this.stale.traded(order.strategyId, `${order.venue}:${order.symbol}`)
      }
      if (recovered === true) return // an earlier run's order closed at start-up says nothing of the venue now
      const now = o.clock.now()
      if (event.type === 'accepted') {
        o.monitors.observeOrder(now, true)
        o.breakers.get(`venue:${order.venue}`).onSuccess(now)
      } else if (event.type === 'rejected') {
        o.monitors.observeOrder(now, false)
        o.breakers.get(`venue:${order.venue}`).onFailure(now, event.reason)
        o.breakers.get(`strategy:${order.strategyId}`).onFailure(now, event.reason)
      }
    })
  }

  get killSwitch(): KillSwitch {
    return this.o.killSwitch
  }

  get breakers(): CircuitBreakers {
    return this.o.breakers
  }

  get monitors(): RiskMonitors {
    return this.o.monitors
  }

  /**
   * The effective trading state of a strategy (account, strategy and kill switch folded together). Asked
   * before every order, so it also looks for the KILL_SWITCH file: a file that appeared halts trading before
   * the next order is checked, not at the next poll.
   */
  tradingState(strategyId: string): TradingState {
    this.inbox?.checkKillFile()
    const halted = this.o.killSwitch.active && this.o.simulatorOnly?.() !== true
    const state = this.o.tradingStates.effective(strategyId, halted)
    return state === 'ACTIVE' && this.stale.staleFeedsOf(strategyId).length > 0 ? 'REDUCING' : state
  }

  /**
   * Today's P&L as the pre-trade daily-loss check sees it: zero while the session can only reach its
   * simulator (shadow), whose orders cannot add to the exchange account's loss.
   */
  riskDailyPnl(): Decimal {
    return this.loss.riskDailyPnl()
  }

  /** Today's net P&L, exact (in canary, the exchange leg's). */
  dailyPnl(): Decimal {
    return this.loss.dailyPnl()
  }

  /** The ledger was rebuilt as the exchange account's after the simulator's since `simulatedFrom`: see `DailyLoss.rebase`. */
  accountRebased(simulatedFrom: number | undefined): void {
    this.loss.rebase(this.o.clock.now(), simulatedFrom)
  }

  start(): void | Promise<void> {
    const now = this.o.clock.now()
    this.loss.rollDay(now)
    this.loss.refreshAll()
    if (this.o.monitors.watchesData) for (const feed of this.o.feeds ?? []) this.o.monitors.expectFeed(now, feed)
    for (const id of this.o.orders.venueIds()) this.o.breakers.get(`venue:${id}`)
    // Halted before the restart (or KILL_SWITCH=ON): nothing restored may stay working.
    if (this.o.killSwitch.active) this.o.orders.cancelAll()
    this.guard.start(now)
    this.inbox?.start()
  }

  stop(): void {
    this.stopped = true
    this.guard.stop()
    this.inbox?.stop()
  }

  /**
   * Trips the kill switch. Returns whether this call activated it. From the moment `trip` returns, trading
   * is HALTED (no order of any kind passes the risk check); then every open order is cancelled. An automatic
   * trip also writes the KILL_SWITCH file, so a restart (even from a lost store) stays halted.
   */
  activate(trigger: KillSwitchTrigger, reason: string, actor: string): boolean {
    const now = this.o.clock.now()
    const snapshot = this.snapshot()
    const event = this.o.killSwitch.trip(trigger, reason, actor, now, snapshot)
    if (event === undefined) return false
    // Within this event: no order passes from here on, and a cancel is asked for every open order (pending
    // and in-flight ones included). It counts as done only when the venue confirms it (see watchCancels).
    const cancelled = this.o.orders.cancelAll()
    const killFile = isAutomaticTrigger(trigger) ? writeKillFile(this.o.killFile, event, this.o.log) : undefined
    this.record(event, { cancelled, ...(killFile !== undefined ? { killFile } : {}) })
    this.alert('kill_switch', 'critical', `kill switch activated by ${actor} (${trigger}): ${reason}; cancels sent for ${cancelled} open orders, awaiting the venues' confirmation`, true)
    this.notices.tell({ kind: 'kill_switch', at: now, actor, reason, trigger, detail: { ...snapshot, cancelled, ...(killFile !== undefined ? { killFile } : {}) } })
    if (this.o.wallClock) void this.watchCancels()
    return true
  }

  /**
   * After a trip: waits for the venues to settle every cancel, records what they confirmed, and raises a
   * critical alert while any order is still working (its cancel keeps being retried by the order manager).
   */
  private async watchCancels(): Promise<void> {
    let round = 0
    for (;;) {
      const report = await this.o.orders.cancelAllConfirmed(undefined, 5_000)
      round++
      this.o.persistence?.audit('kill_switch.cancels', 'system', {
        round,
        requested: report.requested,
        canceled: report.canceled.length,
        filled: report.filled.length,
        rejected: report.rejected.length,
        pending: report.pending,
        errors: report.errors,
      })
      if (report.pending.length === 0) {
        if (round > 1) this.alert('kill_switch_cancels', 'info', `kill switch: every open order is now settled by its venue`, true)
        return
      }
      this.alert(
        'kill_switch_cancels',
        'critical',
        `kill switch: ${report.pending.length} order(s) still working after the trip (${report.pending.join(', ')}); cancels are retried${
          Object.keys(report.errors).length > 0 ? `: ${Object.values(report.errors)[0]}` : ''
        }`,
        true,
      )
      if (!this.o.killSwitch.active || this.stopped) return
    }
  }

  /** Adds a listener of every change of the kill switch (activated and deactivated), told as it is recorded; returns its removal. */
  onKillSwitchEvent(listener: (event: KillSwitchEvent) => void): () => void {
    return this.switchListeners.add(listener)
  }

  /** Adds a listener of changes of trading state and of stale-data pauses; returns its removal. */
  onStateChange(listener: (change: SafetyStateChange) => void): () => void {
    return this.stateListeners.add(listener)
  }

  /** Adds a listener of trips and shutdowns (notifiers, incident records); returns its removal. */
  onNotice(listener: SafetyListener): () => void {
    return this.notices.add(listener)
  }

  /** Waits until every notice listener's work has settled, at most `timeoutMs`; returns whether all did. */
  settleNotices(timeoutMs: number): Promise<boolean> {
    return this.notices.settle(timeoutMs)
  }

  /**
   * Clears the kill switch; refused (with every reason) while a breach stands, while the KILL_SWITCH file
   * exists, and for a reconciliation halt unless `clearsReconciliation` (`sofia reconcile clear`).
   */
  deactivate(
    reason: string,
    actor: string,
    options: { clearsReconciliation?: boolean; acknowledgeLoss?: boolean } = {},
  ): { ok: boolean; blockers: readonly string[] } {
    const now = this.o.clock.now()
    const acknowledged = options.acknowledgeLoss === true
    // Acknowledging the loss covers the day's and the last hour's: both are the same loss, seen over two windows.
    const isLoss = (name: string): boolean => name === 'daily_loss' || name === 'hourly_loss'
    const standing = this.o.monitors.breaches(now)
    const breaches = standing
      .filter((b) => CRITICAL_TRIGGER[b.name] !== undefined && !(acknowledged && isLoss(b.name)))
      .map((b) => `${b.name}${b.feed !== undefined ? `:${b.feed}` : ''} (${b.detail})`)
    const hourly = standing.find((b) => b.name === 'hourly_loss')
    const loss = this.loss.breach()
    if (loss !== undefined && !acknowledged && !breaches.some((b) => b.startsWith('daily_loss'))) {
      breaches.push(`${loss} (acknowledge it to resume today: --acknowledge-loss)`)
    }
    const killFile = this.o.killFile
    const result = this.o.killSwitch.deactivate(reason, actor, now, breaches, {
      ...(killFile !== undefined && existsSync(killFile) ? { killFilePresent: killFile } : {}),
      ...(options.clearsReconciliation === true ? { clearsReconciliation: true } : {}),
    })
    if (!result.ok) return { ok: false, blockers: result.blockers }
    const acknowledgedLoss = [loss, hourly === undefined ? undefined : `hourly_loss (${hourly.detail})`].filter((x) => x !== undefined).join('; ')
    if (acknowledged && acknowledgedLoss !== '') this.loss.acknowledge(actor, reason, acknowledgedLoss)
    if (result.event !== undefined) {
      this.o.monitors.resetDrawdownPeak()
      this.record(result.event, acknowledged && acknowledgedLoss !== '' ? { acknowledgedLoss } : {})
    }
    return { ok: true, blockers: [] }
  }

  setTradingState(state: TradingState, actor: string, strategyId?: string, why?: string): boolean {
    const changed = this.o.tradingStates.set(state, strategyId)
    if (changed) {
      this.o.persistence?.setState(TRADING_STATES_KEY, this.o.tradingStates.snapshot(), actor, why)
      this.logStateChange(`${strategyId === undefined ? 'account' : `strategy ${strategyId}`} → ${state}`, `${why !== undefined ? `${why} ` : ''}(by ${actor})`)
      this.stateListeners.tell({ what: 'trading_state', subject: strategyId ?? 'account', state, reason: why ?? null, actor, at: this.o.clock.now() })
    }
    return changed
  }

  /** This session's changes of trading state (kill switch, account, strategies), oldest first; the last 1,000. */
  stateChanges(): readonly StateChange[] {
    return this.changes
  }

  private readonly changes: StateChange[] = []

  private logStateChange(what: string, cause: string): void {
    this.changes.push({ at: this.o.clock.now(), what, cause })
    if (this.changes.length > 1_000) this.changes.shift()
  }

  status(): SafetyStatus {
    const now = this.o.clock.now()
    return {
      killSwitch: { ...this.o.killSwitch.state(), mode: this.o.killSwitch.configuredMode },
      tradingStates: this.o.tradingStates.snapshot(),
      dailyPnl: this.loss.dailyPnl().toString(),
      monitors: this.o.monitors.evaluate(now),
      breakers: this.o.breakers.list(now),
      openOrders: this.o.orders.openOrders().length,
      emulatedOrders: this.o.orders.emulator.list(),
      positions: this.positions(),
      stalePaused: Object.fromEntries(this.stale.pauses),
    }
  }

  /** Installs the session's rollback procedure (the `rollback` control command). */
  setRollbackHandler(handler: RollbackHandler | undefined): void {
    this.rollbackHandler = handler
  }

  recentAlerts(): readonly SafetyAlert[] {
    return this.alerts.recent
  }

  /** Runs an operator's request (from the control channel or the API). */
  execute<C extends ControlCommand>(request: Pick<ControlRequest, 'args' | 'actor'> & { readonly command: C }): CommandOutcome<C> {
    const parsed = parseCommand(request.command, request.args, request.actor)
    // The dispatcher answers the command it was given (each answer is checked against that command's result type).
    return (parsed.ok ? dispatch(this.o, this, this.rollbackHandler, parsed.value, request) : { ok: false, error: parsed.error }) as CommandOutcome<C>
  }

  /** Like `execute`, waiting for the outcome of the session's asynchronous commands (the control channel). */
  async executeAsync<C extends ControlCommand>(request: Pick<ControlRequest, 'args' | 'actor'> & { readonly command: C }): Promise<CommandOutcome<C>> {
    const parsed = parseCommand(request.command, request.args, request.actor)
    return (parsed.ok ? await dispatchAsync(this.o, this, this.rollbackHandler, parsed.value, request) : { ok: false, error: parsed.error }) as CommandOutcome<C>
  }

  /**
   * Pilot-off: halts first (from here no order of any kind passes; every open order is cancelled), then
   * records, then tells the listeners and ends the session once they are done or SHUTDOWN_NOTIFY_MS has passed.
   */
  shutdown(reason: string, actor: string): void {
    const why = reason || 'pilot-off: emergency stop'
    this.activate('manual', why, actor)
    this.o.persistence?.audit('operator.shutdown', actor, { reason })
    this.notices.tell({ kind: 'shutdown', at: this.o.clock.now(), actor, reason: why, trigger: null, detail: this.snapshot() })
    void this.settleNotices(SHUTDOWN_NOTIFY_MS).then((settled) => {
      if (!settled) this.o.log?.(`pilot-off: notifications still pending after ${SHUTDOWN_NOTIFY_MS} ms; stopping anyway`)
      this.o.stopSession()
    })
  }

  /** Closes positions with market orders, allowed while halted (see `flattenPositions`). */
  flatten(reason: string, actor: string, filter: { readonly strategyId?: string; readonly symbol?: string } = {}): FlattenResult {
    return flattenPositions(this.o, reason, actor, filter)
  }

  /** Strategies paused by stale data and the feeds that paused them. */
  stalePauses(): ReadonlyMap<string, readonly string[]> {
    return this.stale.pauses
  }

  private onStalePause(c: StalePauseChange): void {
    const at = this.o.clock.now()
    if (c.state === 'paused') {
      this.o.persistence?.audit('strategy.paused', 'system', { strategyId: c.strategyId, feeds: c.feeds, reason: 'data_staleness' })
      this.o.log?.(`strategy ${c.strategyId} paused (reducing only): stale feed ${c.feeds.join(', ')}`)
      this.stateListeners.tell({ what: 'stale_data', subject: c.strategyId, state: 'paused', reason: `stale feed ${c.feeds.join(', ')}`, actor: 'system', at })
    } else {
      this.o.persistence?.audit('strategy.resumed', 'system', { strategyId: c.strategyId, feeds: c.feeds, reason: 'data fresh again' })
      this.stateListeners.tell({ what: 'stale_data', subject: c.strategyId, state: 'resumed', reason: 'data fresh again', actor: 'system', at })
    }
  }

  // ---- records ---------------------------------------------------------------------------------------

  private record(event: KillSwitchEvent, extra: Record<string, unknown>): void {
    this.logStateChange(`kill switch ${event.action}`, `${event.trigger !== null ? `${event.trigger}: ` : ''}${event.reason} (by ${event.actor})`)
    // A listener that fails (a cluster link that is closing) must not keep the change from its record.
    this.switchListeners.tell(event)
    const p = this.o.persistence
    if (p === undefined) return
    p.audit(`kill_switch.${event.action}`, event.actor, { ...event, ...extra })
    p.setStateQuiet(KILL_SWITCH_KEY, this.o.killSwitch.state())
    p.setStateQuiet(KILL_SWITCH_HISTORY_KEY, this.o.killSwitch.history())
    const r = p.barrier()
    if (r !== undefined) r.catch(() => undefined)
  }

  private stopped = false

  private alert(name: string, level: string, detail: string, always = false): void {
    if (this.alerts.raise(name, level, detail, always)) this.o.log?.(`[${level}] ${name}: ${detail}`)
  }

  private snapshot(): Record<string, unknown> {
    return {
      dailyPnl: this.loss.dailyPnl().toString(),
      openOrders: this.o.orders.openOrders().length,
      positions: this.positions(),
      tradingStates: this.o.tradingStates.snapshot(),
    }
  }

  private positions(): { venue: string; symbol: string; amount: string }[] {
    return nonZeroPositions(this.o.ledger)
  }
}

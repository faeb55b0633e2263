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
import { existsSync, writeFileSync } from 'node:fs'
import type { Component } from '../engine/index.js'
import type { Decimal } from '../model/index.js'
import { InputError } from '../model/index.js'
import type { CircuitBreakers, KillSwitch, KillSwitchEvent, KillSwitchTrigger, MonitorStatus, RiskMonitors, TradingState } from '../risk/index.js'
import { isAutomaticTrigger } from '../risk/index.js'
import type { ControlRequest, ControlResponse } from './control.js'
import { HEARTBEAT_MS, LEASE_KEY, RESPONSE_PREFIX, REQUEST_PREFIX, appendOperatorRecord, newLease, pendingRequests } from './control.js'
import { nonZeroPositions } from './positions.js'
import { DailyLoss } from './daily-loss.js'
import { StalePauses } from './stale-pauses.js'
import type { StalePauseChange } from './stale-pauses.js'
import { flattenPositions, placeManualOrder } from './operator-orders.js'
import { parseCommand } from './commands.js'
import type { OperatorCommand } from './commands.js'
import type { RollbackHandler, SafetyListener, SafetyNotice, SafetyOptions, SafetyStateChange, SafetyStatus, StateChange, FlattenResult, CommandResult } from './safety-types.js'
import { KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, POSITION_OVERRIDE_KEY, SHUTDOWN_NOTIFY_MS, TRADING_STATES_KEY } from './safety-types.js'

export * from './safety-types.js'

/** What a monitor at critical does. */
const CRITICAL_TRIGGER: Partial<Record<MonitorStatus['name'], KillSwitchTrigger>> = {
  daily_loss: 'daily_loss',
  hourly_loss: 'hourly_loss',
  drawdown: 'drawdown',
  error_rate: 'error_rate',
}

/** Triggers that judge P&L: in shadow that P&L is the simulator's, so they alert instead of halting. */
const PNL_TRIGGERS: ReadonlySet<KillSwitchTrigger> = new Set<KillSwitchTrigger>(['daily_loss', 'hourly_loss', 'drawdown'])

/** Commands a session on an exchange adds (handled by `SafetyOptions.commands`). */
const SESSION_COMMANDS: ReadonlySet<string> = new Set(['mode.set', 'shadow.rollback', 'resync'])

export class Safety implements Component {
  readonly name = 'safety'
  /** The daily-loss limit, watched on every event. */
  private readonly loss: DailyLoss
  /** Strategies held to reducing orders while a feed they depend on is stale. */
  private readonly stale: StalePauses
  private cancelMonitorTimer: (() => void) | undefined
  private poller: NodeJS.Timeout | undefined
  private lastHeartbeat = 0
  private polling = false
  private readonly alerts: { at: number; name: string; level: string; detail: string }[] = []
  private rollbackHandler: RollbackHandler | undefined
  private readonly listeners: SafetyListener[] = []
  private readonly switchListeners: ((event: KillSwitchEvent) => void)[] = []
  private readonly stateListeners: ((change: SafetyStateChange) => void)[] = []
  private readonly pendingNotices = new Set<Promise<unknown>>()

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
    const watchesData = o.monitors.watchesData
    o.bus.on('market', (e) => {
      if (watchesData) o.monitors.observeData(e.timestamp, `${e.venue}:${e.symbol}`)
      if (e.timestamp >= this.loss.dayEnd) this.loss.rollDay(e.timestamp)
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
    this.checkKillFile()
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

  start(): void | Promise<void> {
    const now = this.o.clock.now()
    this.loss.rollDay(now)
    for (const id of this.o.orders.venueIds()) this.o.breakers.get(`venue:${id}`)
    // Halted before the restart (or KILL_SWITCH=ON): nothing restored may stay working.
    if (this.o.killSwitch.active) this.o.orders.cancelAll()
    this.scheduleMonitors(now)
    if (this.o.wallClock) {
      this.poller = setInterval(() => {
        this.poll().catch((error: unknown) => this.o.log?.(`safety poll failed: ${String(error)}`))
      }, 250)
      this.poller.unref()
      this.heartbeat(Date.now())
    }
  }

  stop(): void {
    this.stopped = true
    this.cancelMonitorTimer?.()
    if (this.poller !== undefined) clearInterval(this.poller)
    if (this.o.wallClock) this.o.persistence?.setStateQuiet(LEASE_KEY, null)
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
    const killFile = isAutomaticTrigger(trigger) ? this.writeKillFile(event) : undefined
    this.record(event, { cancelled, ...(killFile !== undefined ? { killFile } : {}) })
    this.alert('kill_switch', 'critical', `kill switch activated by ${actor} (${trigger}): ${reason}; cancels sent for ${cancelled} open orders, awaiting the venues' confirmation`, true)
    this.tell({ kind: 'kill_switch', at: now, actor, reason, trigger, detail: { ...snapshot, cancelled, ...(killFile !== undefined ? { killFile } : {}) } })
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
    this.switchListeners.push(listener)
    return () => {
      const i = this.switchListeners.indexOf(listener)
      if (i >= 0) this.switchListeners.splice(i, 1)
    }
  }

  /** Adds a listener of changes of trading state and of stale-data pauses; returns its removal. */
  onStateChange(listener: (change: SafetyStateChange) => void): () => void {
    this.stateListeners.push(listener)
    return () => {
      const i = this.stateListeners.indexOf(listener)
      if (i >= 0) this.stateListeners.splice(i, 1)
    }
  }

  /** Tells each listener on its own: one that fails is logged and keeps no other from hearing. */
  private tellEach<E>(listeners: readonly ((e: E) => void)[], e: E, what: string): void {
    for (const listener of [...listeners]) {
      try {
        listener(e)
      } catch (error) {
        this.o.log?.(`${what} listener failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }

  /** Adds a listener of trips and shutdowns (notifiers, incident records); returns its removal. */
  onNotice(listener: SafetyListener): () => void {
    this.listeners.push(listener)
    return () => {
      const i = this.listeners.indexOf(listener)
      if (i >= 0) this.listeners.splice(i, 1)
    }
  }

  /** Waits until every listener's work has settled, at most `timeoutMs`; returns whether all did. */
  async settleNotices(timeoutMs: number): Promise<boolean> {
    if (this.pendingNotices.size === 0) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const all = Promise.all([...this.pendingNotices]).then(() => true)
    try {
      return await Promise.race([all, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private tell(notice: SafetyNotice): void {
    for (const listener of this.listeners) {
      try {
        const r = listener(notice)
        if (r instanceof Promise) {
          const tracked: Promise<unknown> = r.catch((error: unknown) => this.o.log?.(`${notice.kind} listener failed: ${String(error)}`))
          this.pendingNotices.add(tracked)
          void tracked.finally(() => this.pendingNotices.delete(tracked))
        }
      } catch (error) {
        this.o.log?.(`${notice.kind} listener failed: ${String(error)}`)
      }
    }
  }

  /** Writes the KILL_SWITCH file naming the trip; returns its path, or undefined (none configured, or it failed: logged). */
  private writeKillFile(event: KillSwitchEvent): string | undefined {
    const path = this.o.killFile
    if (path === undefined || existsSync(path)) return path
    try {
      const at = new Date(event.at).toISOString()
      writeFileSync(path, `${at} kill switch tripped by ${event.actor} (${event.trigger ?? '?'}): ${event.reason}\nRemove this file, then 'sofia kill-switch deactivate --reason ...'.\n`)
      return path
    } catch (error) {
      this.o.log?.(`could not write ${path}: ${String(error)}`)
      return undefined
    }
  }

  private checkKillFile(): void {
    const path = this.o.killFile
    if (path !== undefined && this.o.wallClock && !this.o.killSwitch.active && existsSync(path)) {
      this.activate('file', `${path} appeared`, 'operator:file')
    }
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
      this.tellEach(this.stateListeners, { what: 'trading_state', subject: strategyId ?? 'account', state, reason: why ?? null, actor, at: this.o.clock.now() }, 'state change')
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

  recentAlerts(): readonly { at: number; name: string; level: string; detail: string }[] {
    return this.alerts
  }

  /** Runs an operator's request (from the control channel or the API). */
  execute(request: Pick<ControlRequest, 'command' | 'args' | 'actor'>): CommandResult {
    const parsed = parseCommand(request.command, request.args, request.actor)
    return parsed.ok ? this.run(parsed.value, request) : { ok: false, error: parsed.error }
  }

  private run(c: OperatorCommand, request: Pick<ControlRequest, 'command' | 'args' | 'actor'>): CommandResult {
    switch (c.command) {
      case 'kill_switch.activate':
      case 'reconciliation.failed': {
        const changed = this.activate(c.command === 'reconciliation.failed' ? 'reconciliation' : 'manual', c.args.reason, c.actor)
        return { ok: true, result: { changed, state: this.o.killSwitch.state() } }
      }
      case 'kill_switch.deactivate': {
        const r = this.deactivate(c.args.reason, c.actor, { clearsReconciliation: c.args.clearsReconciliation === true, acknowledgeLoss: c.args.acknowledgeLoss === true })
        return r.ok ? { ok: true, result: { state: this.o.killSwitch.state() } } : { ok: false, error: r.blockers.join('; ') }
      }
      case 'trading_state.set': {
        const changed = this.setTradingState(c.args.state, c.actor, c.args.strategyId, c.args.reason === '' ? undefined : c.args.reason)
        return { ok: true, result: { changed, tradingStates: this.o.tradingStates.snapshot() } }
      }
      case 'orders.cancel_all': {
        // Cancels asked for; the venues' confirmations come later (`cancelAllConfirmed` waits for them).
        const requested = this.o.orders.cancelAll()
        this.o.persistence?.audit('operator.cancel_all', c.actor, { requested, reason: c.args.reason })
        return { ok: true, result: { requested } }
      }
      case 'orders.cancel': {
        const id = c.args.clientOrderId
        const order = this.o.orders.order(id)
        if (order === undefined) return { ok: false, error: `no order ${id} in this session` }
        if (order.isTerminal) return { ok: false, error: `order ${id} is already ${order.state}` }
        this.o.orders.cancel(id)
        this.o.persistence?.audit('operator.cancel', c.actor, { clientOrderId: id, reason: c.args.reason })
        // Asked for: the venue's confirmation settles it (pending_cancel until then).
        return { ok: true, result: { clientOrderId: id, state: this.o.orders.order(id)?.state ?? 'canceled' } }
      }
      case 'orders.place':
        return placeManualOrder(this.o, c.args, c.actor)
      case 'position_override.set': {
        this.o.positionOverride.set(c.args.strategyId === undefined ? 'account' : { strategyId: c.args.strategyId }, c.args.multiplier)
        this.o.persistence?.setState(POSITION_OVERRIDE_KEY, this.o.positionOverride.snapshot(), c.actor, c.args.reason)
        return { ok: true, result: this.o.positionOverride.snapshot() }
      }
      case 'positions.flatten': {
        const { reason, strategy, symbol } = c.args
        const r = this.flatten(reason, c.actor, { ...(strategy !== undefined ? { strategyId: strategy } : {}), ...(symbol !== undefined ? { symbol } : {}) })
        return r.denied === 0 ? { ok: true, result: r } : { ok: false, result: r, error: `${r.denied} of ${r.orders.length} flatten orders denied: ${r.orders.filter((o) => o.code !== null).map((o) => `${o.venue}:${o.symbol} ${o.code}: ${o.reason ?? ''}`).join('; ')}` }
      }
      case 'status':
        return { ok: true, result: this.status() }
      case 'audit.append':
        return appendOperatorRecord(this.o.persistence, c.args.type, c.args.payload, c.actor)
      case 'shutdown': {
        // Halt first (from here no order of any kind passes; every open order is cancelled), then record,
        // then tell the listeners and end the session once they are done or SHUTDOWN_NOTIFY_MS has passed.
        const why = c.args.reason || 'pilot-off: emergency stop'
        this.activate('manual', why, c.actor)
        this.o.persistence?.audit('operator.shutdown', c.actor, { reason: c.args.reason })
        this.tell({ kind: 'shutdown', at: this.o.clock.now(), actor: c.actor, reason: why, trigger: null, detail: this.snapshot() })
        void this.settleNotices(SHUTDOWN_NOTIFY_MS).then((settled) => {
          if (!settled) this.o.log?.(`pilot-off: notifications still pending after ${SHUTDOWN_NOTIFY_MS} ms; stopping anyway`)
          this.o.stopSession()
        })
        return { ok: true, result: { stopping: true, state: this.o.killSwitch.state() } }
      }
      case 'mode.set':
      case 'shadow.rollback':
      case 'resync': {
        const handler = this.o.commands
        if (handler === undefined) return { ok: false, error: `${c.command}: this session (${this.o.mode}) has no exchange modes` }
        const r = handler(request)
        if (!(r instanceof Promise)) return r
        // Synchronous callers (the API) get an acknowledgement; the outcome is audited by the handler.
        r.catch((error: unknown) => this.o.log?.(`${c.command} failed: ${String(error)}`))
        return { ok: true, result: { started: true } }
      }
      case 'rollback': {
        const handler = this.rollbackHandler
        if (handler === undefined) return { ok: false, error: `rollback: this session (${this.o.mode}) has no rollback procedure installed` }
        handler(request).catch((error: unknown) => this.o.log?.(`rollback failed: ${String(error)}`))
        return { ok: true, result: { started: true } }
      }
    }
  }

  /** Like `execute`, waiting for the outcome of the session's asynchronous commands (the control channel). */
  async executeAsync(request: Pick<ControlRequest, 'command' | 'args' | 'actor'>): Promise<CommandResult> {
    if (request.command === 'rollback' && this.rollbackHandler !== undefined) {
      try {
        return await this.rollbackHandler(request)
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) }
      }
    }
    if (SESSION_COMMANDS.has(request.command) && this.o.commands !== undefined) {
      try {
        return await this.o.commands(request)
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) }
      }
    }
    return this.execute(request)
  }


  /** Closes positions with market orders, allowed while halted (see `flattenPositions`). */
  flatten(reason: string, actor: string, filter: { readonly strategyId?: string; readonly symbol?: string } = {}): FlattenResult {
    return flattenPositions(this.o, reason, actor, filter)
  }

  // ---- monitors ------------------------------------------------------------------------------------

  private scheduleMonitors(now: number): void {
    // Live: every second. Recorded data: every engine minute — daily loss is still watched on every event,
    // and a second-by-second evaluation would dominate a backtest spanning weeks.
    const every = this.o.wallClock ? 1_000 : 60_000
    // No monitor and no exchange leg to keep (a backtest without risk.monitors): an evaluation would observe
    // the account's P&L for nobody.
    if (!this.o.monitors.enabled && this.o.exchangeLeg === undefined) return
    this.cancelMonitorTimer = this.o.clock.setTimer(now + every, (t) => {
      this.evaluateMonitors(t)
      this.scheduleMonitors(t)
    })
  }

  private evaluateMonitors(now: number): void {
    this.loss.saveLegDay(now)
    this.o.monitors.observePnl(now, { dailyPnl: this.loss.dailyPnl(), equity: this.o.equity() })
    let stale = false
    const staleNow: string[] = []
    for (const status of this.o.monitors.evaluate(now)) {
      if (status.level === 'ok') continue
      const trigger = CRITICAL_TRIGGER[status.name]
      if (status.level === 'critical' && trigger !== undefined) {
        if (PNL_TRIGGERS.has(trigger) && this.o.simulatorOnly?.() === true) {
          // Shadow: a simulated loss says how the strategy would have done; it halts nothing on the exchange.
          this.alert(status.name, 'warning', `${status.detail} (simulated leg: shadow sends nothing to the exchange, the kill switch stays as it is)`)
          continue
        }
        if (trigger === 'drawdown' && this.o.exchangeLeg?.judged() === true) {
          // Canary: the equity is the full-size simulated twin's; the loss limits judge the exchange leg.
          this.alert(status.name, 'warning', `${status.detail} (simulated leg in canary: the daily-loss limit judges the exchange leg)`)
          continue
        }
        if (!this.o.killSwitch.active) this.activate(trigger, `${status.name} critical: ${status.detail}`, 'system')
        continue
      }
      this.alert(status.name, status.level, status.detail)
      if (status.level !== 'critical') continue
      if (status.name === 'slippage_ratio' && this.o.tradingStates.accountState === 'ACTIVE') {
        // Fills far worse than the simulator expects: stop adding risk until an operator looks (live-toggle on).
        this.setTradingState('REDUCING', 'system', undefined, 'slippage_ratio critical')
      }
      if (status.name === 'data_staleness') {
        stale = true
        if (status.feed !== undefined) staleNow.push(status.feed)
      }
    }
    this.stale.update(staleNow, stale)
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
      this.tellEach(this.stateListeners, { what: 'stale_data', subject: c.strategyId, state: 'paused', reason: `stale feed ${c.feeds.join(', ')}`, actor: 'system', at }, 'state change')
    } else {
      this.o.persistence?.audit('strategy.resumed', 'system', { strategyId: c.strategyId, feeds: c.feeds, reason: 'data fresh again' })
      this.tellEach(this.stateListeners, { what: 'stale_data', subject: c.strategyId, state: 'resumed', reason: 'data fresh again', actor: 'system', at }, 'state change')
    }
  }


  // ---- operators' channels (wall clock) -------------------------------------------------------------

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const now = Date.now()
      if (this.o.killFile !== undefined && !this.o.killSwitch.active && existsSync(this.o.killFile)) {
        this.activate('file', `${this.o.killFile} appeared`, 'operator:file')
      }
      if (now - this.lastHeartbeat >= HEARTBEAT_MS) this.heartbeat(now)
      const store = this.o.persistence?.store
      if (store === undefined) return
      for (const request of pendingRequests(await store.loadState())) {
        const result = await this.executeAsync(request)
        const response: ControlResponse = { id: request.id, ...result, at: Date.now() }
        this.o.persistence!.setStateQuiet(REQUEST_PREFIX + request.id, null)
        this.o.persistence!.setStateQuiet(RESPONSE_PREFIX + request.id, response)
      }
    } finally {
      this.polling = false
    }
  }

  private lease = newLease('paper', Date.now())

  private heartbeat(now: number): void {
    this.lastHeartbeat = now
    this.lease = { ...this.lease, mode: this.o.mode, heartbeat: now }
    this.o.persistence?.setStateQuiet(LEASE_KEY, this.lease)
  }

  // ---- records ---------------------------------------------------------------------------------------

  private record(event: KillSwitchEvent, extra: Record<string, unknown>): void {
    this.logStateChange(`kill switch ${event.action}`, `${event.trigger !== null ? `${event.trigger}: ` : ''}${event.reason} (by ${event.actor})`)
    // A listener that fails (a cluster link that is closing) must not keep the change from its record.
    this.tellEach(this.switchListeners, event, 'kill switch')
    const p = this.o.persistence
    if (p === undefined) return
    p.audit(`kill_switch.${event.action}`, event.actor, { ...event, ...extra })
    p.setStateQuiet(KILL_SWITCH_KEY, this.o.killSwitch.state())
    p.setStateQuiet(KILL_SWITCH_HISTORY_KEY, this.o.killSwitch.history())
    const r = p.barrier()
    if (r !== undefined) r.catch(() => undefined)
  }

  private stopped = false

  /** Last level raised per alert name: a standing condition is raised again only hourly (engine time). */
  private readonly raised = new Map<string, { level: string; at: number }>()

  private alert(name: string, level: string, detail: string, always = false): void {
    const at = this.o.clock.now()
    const last = this.raised.get(name)
    if (!always && last !== undefined && last.level === level && at - last.at < 3_600_000) return
    this.raised.set(name, { level, at })
    this.alerts.push({ at, name, level, detail })
    if (this.alerts.length > 500) this.alerts.splice(0, 100)
    this.o.persistence?.audit('alert', 'system', { name, level, detail })
    this.o.log?.(`[${level}] ${name}: ${detail}`)
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


/** Parses a stored trading-state or kill-switch value defensively (a damaged value is an input error). */
export function storedOr<T>(value: unknown, fallback: T, key: string): T {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'object') throw new InputError(`stored state '${key}' is malformed`)
  return value as T
}


/**
 * @module system/monitor-guard
 * What the runtime monitors' levels do, evaluated on a timer of engine time (every second live, every engine
 * minute on recorded data): a critical loss, drawdown or error rate trips the kill switch; critical slippage
 * holds the account to reducing orders; stale data holds the strategies that depend on the feed; anything
 * else not ok is an alert. In shadow a loss is the simulator's and halts nothing; in canary the drawdown is
 * the full-size twin's, so the exchange leg's daily loss judges instead.
 */
import type { KillSwitchTrigger, MonitorStatus, TradingState } from '../risk/index.js'
import type { DailyLoss } from './daily-loss.js'
import type { SafetyOptions } from './safety-types.js'
import type { StalePauses } from './stale-pauses.js'

/** What a monitor at critical does. */
export const CRITICAL_TRIGGER: Partial<Record<MonitorStatus['name'], KillSwitchTrigger>> = {
  daily_loss: 'daily_loss',
  hourly_loss: 'hourly_loss',
  drawdown: 'drawdown',
  error_rate: 'error_rate',
}

/** Triggers that judge P&L: in shadow that P&L is the simulator's, so they alert instead of halting. */
const PNL_TRIGGERS: ReadonlySet<KillSwitchTrigger> = new Set<KillSwitchTrigger>(['daily_loss', 'hourly_loss', 'drawdown'])

/** What the guard does to the session (the safety layer's own actions). */
export interface MonitorActions {
  activate(trigger: KillSwitchTrigger, reason: string, actor: string): boolean
  setTradingState(state: TradingState, actor: string, strategyId?: string, why?: string): boolean
  alert(name: string, level: string, detail: string): void
}

export class MonitorGuard {
  private cancelTimer: (() => void) | undefined

  constructor(
    private readonly o: Pick<SafetyOptions, 'clock' | 'monitors' | 'wallClock' | 'exchangeLeg' | 'equity' | 'simulatorOnly' | 'killSwitch' | 'tradingStates'>,
    private readonly loss: DailyLoss,
    private readonly stale: StalePauses,
    private readonly act: MonitorActions,
  ) {}

  start(now: number): void {
    // Live: every second. Recorded data: every engine minute — daily loss is still watched on every event,
    // and a second-by-second evaluation would dominate a backtest spanning weeks.
    const every = this.o.wallClock ? 1_000 : 60_000
    // No monitor and no exchange leg to keep (a backtest without risk.monitors): an evaluation would observe
    // the account's P&L for nobody.
    if (!this.o.monitors.enabled && this.o.exchangeLeg === undefined) return
    this.cancelTimer = this.o.clock.setTimer(now + every, (t) => {
      this.evaluate(t)
      this.start(t)
    })
  }

  stop(): void {
    this.cancelTimer?.()
  }

  private evaluate(now: number): void {
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
          this.act.alert(status.name, 'warning', `${status.detail} (simulated leg: shadow sends nothing to the exchange, the kill switch stays as it is)`)
          continue
        }
        if (trigger === 'drawdown' && this.o.exchangeLeg?.judged() === true) {
          // Canary: the equity is the full-size simulated twin's; the loss limits judge the exchange leg.
          this.act.alert(status.name, 'warning', `${status.detail} (simulated leg in canary: the daily-loss limit judges the exchange leg)`)
          continue
        }
        if (!this.o.killSwitch.active) this.act.activate(trigger, `${status.name} critical: ${status.detail}`, 'system')
        continue
      }
      this.act.alert(status.name, status.level, status.detail)
      if (status.level !== 'critical') continue
      if (status.name === 'slippage_ratio' && this.o.tradingStates.accountState === 'ACTIVE') {
        // Fills far worse than the simulator expects: stop adding risk until an operator looks (live-toggle on).
        this.act.setTradingState('REDUCING', 'system', undefined, 'slippage_ratio critical')
      }
      if (status.name === 'data_staleness') {
        stale = true
        if (status.feed !== undefined) staleNow.push(status.feed)
      }
    }
    this.stale.update(staleNow, stale)
  }
}

/**
 * @module risk/risk-engine
 * The pre-trade risk engine: every configured limit, checked in a fixed order (cheap and most decisive
 * first), the first denial wins. It keeps the only state the checks need that the account does not — the
 * recent approvals for the rate limits — and counts verdicts by code.
 */
import { InputError } from '../model/index.js'
import type { Decimal, Order } from '../model/index.js'
import { checkAllowedMarkets } from './checks/allowed-markets.js'
import { checkAvailableBalance } from './checks/available-balance.js'
import { checkDailyLoss } from './checks/daily-loss.js'
import { checkGrossExposure } from './checks/gross-exposure.js'
import { checkMaxNotional } from './checks/max-notional.js'
import { checkMaxPosition } from './checks/max-position.js'
import { checkOpenOrders } from './checks/open-orders.js'
import { checkOrderRate } from './checks/order-rate.js'
import { checkPrecisionAndMinimums } from './checks/precision.js'
import { checkPriceBand } from './checks/price-band.js'
import { checkSelfTrade } from './checks/self-trade.js'
import { checkTradingState } from './checks/trading-state.js'
import type { OrderPurpose, RiskContext, RiskLimits } from './context.js'
import { OrderRateCounter } from './order-rate-counter.js'
import { PositionOverride } from './position-override.js'
import type { PreTradeCheck, PreTradeRisk } from './pre-trade.js'
import { APPROVED } from './verdict.js'
import type { RiskVerdict } from './verdict.js'

/**
 * The order the engine runs its checks in. State and allow-lists cost nothing and settle the most; the
 * instrument rules and the band catch malformed and fat-fingered orders before any account lookup; the
 * account limits follow; the rate limit comes late so it reads its counter only for orders that could be
 * sent, and the balance last because it is the one the venue would enforce anyway.
 */
export const CHECK_ORDER = [
  'tradingState',
  'allowedMarkets',
  'precision',
  'priceBand',
  'maxNotional',
  'maxPosition',
  'grossExposure',
  'dailyLoss',
  'openOrders',
  'selfTrade',
  'orderRate',
  'availableBalance',
] as const
export type RiskCheckName = (typeof CHECK_ORDER)[number]

export interface RiskEngineStats {
  readonly checked: number
  readonly approved: number
  readonly denied: number
  /** Denials by code. */
  readonly byCode: Readonly<Record<string, number>>
}

export class RiskEngine implements PreTradeRisk {
  /** Size multipliers the caller applies (with `applyPositionOverride`) before calling `check`. */
  readonly positionOverride = new PositionOverride()
  private current: RiskLimits = {}
  private readonly rates = new OrderRateCounter()
  private readonly checks: readonly PreTradeCheck[]
  private approvedCount = 0
  private readonly denials = new Map<string, number>()
  private purpose: OrderPurpose = 'trade'

  constructor(limits: RiskLimits = {}) {
    const rates = this.rates
    const override = this.positionOverride
    const byName: Record<RiskCheckName, PreTradeCheck> = {
      tradingState: (order, ctx, l) => checkTradingState(order, ctx, l, this.purpose),
      allowedMarkets: checkAllowedMarkets,
      precision: checkPrecisionAndMinimums,
      priceBand: checkPriceBand,
      maxNotional: checkMaxNotional,
      maxPosition: (order, ctx, l) => checkMaxPosition(order, ctx, override.limitsFor(l, ctx)),
      grossExposure: checkGrossExposure,
      dailyLoss: checkDailyLoss,
      openOrders: checkOpenOrders,
      // An operator's flatten goes out even past the account's own resting order (still being cancelled, or
      // deep in the book): holding the position is the worse risk, and a venue with STP still guards.
      selfTrade: (order, ctx, l) => (this.purpose === 'flatten' ? APPROVED : checkSelfTrade(order, ctx, l)),
      orderRate: (order, ctx, l) => checkOrderRate(order, ctx, l, rates),
      availableBalance: checkAvailableBalance,
    }
    this.checks = CHECK_ORDER.map((name) => byName[name])
    this.setLimits(limits)
  }

  get limits(): RiskLimits {
    return this.current
  }

  /** Replaces every limit at once (an absent limit is not checked). Throws `InputError` on a nonsensical one. */
  setLimits(limits: RiskLimits): void {
    validateLimits(limits)
    this.current = limits
  }

  /**
   * Runs `submit` with every order it checks carrying `purpose` (e.g. an operator's flatten, which a halt lets
   * through while it reduces). Scoped to this synchronous call: the order manager checks an intent inside
   * `submit`, so nothing a strategy sends at another moment can borrow the purpose.
   */
  withPurpose<T>(purpose: OrderPurpose, submit: () => T): T {
    const before = this.purpose
    this.purpose = purpose
    try {
      return submit()
    } finally {
      this.purpose = before
    }
  }

  check(order: Order, ctx: RiskContext): RiskVerdict {
    const limits = this.current
    const checks = this.checks
    for (let i = 0; i < checks.length; i++) {
      const verdict = checks[i]!(order, ctx, limits)
      if (!verdict.approved) {
        this.denials.set(verdict.code, (this.denials.get(verdict.code) ?? 0) + 1)
        return verdict
      }
    }
    // Only approved orders count toward the rate limits: a denied burst must not lock a strategy out.
    this.rates.record(order, ctx.now())
    this.approvedCount++
    return APPROVED
  }

  stats(): RiskEngineStats {
    let denied = 0
    for (const n of this.denials.values()) denied += n
    return {
      checked: this.approvedCount + denied,
      approved: this.approvedCount,
      denied,
      byCode: Object.fromEntries(this.denials),
    }
  }
}

function validateLimits(limits: RiskLimits): void {
  const money: (keyof RiskLimits)[] = ['maxOrderNotional', 'maxPositionNotional', 'maxGrossExposure', 'maxDailyLoss']
  for (const key of money) {
    const v = limits[key] as Decimal | undefined
    if (v !== undefined && (!v.isFinite() || v.isNegative())) throw new InputError(`risk limit ${key} must be ≥ 0, got ${v}`)
  }
  for (const key of ['maxDailyLossPct', 'priceBandPct'] as const) {
    const v = limits[key]
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new InputError(`risk limit ${key} must be ≥ 0, got ${v}`)
  }
  for (const key of ['maxOpenOrders', 'maxOrdersPerSecond', 'maxOrdersPerMinute'] as const) {
    const v = limits[key]
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new InputError(`risk limit ${key} must be a whole number ≥ 0, got ${v}`)
    }
  }
}

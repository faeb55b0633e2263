// Runtime monitors: every level at, just below and just above its bound; rolling windows; the UTC day.
import { describe, expect, it } from 'vitest'
import { InputError, dec } from '../model/index.js'
import { DAY_MS, HOUR_MS, RiskMonitors, RollingSums, utcDayStart } from './monitors.js'
import type { MonitorName, MonitorStatus, MonitorThresholds } from './monitors.js'

const T0 = Date.UTC(2024, 0, 10, 12, 0, 0)
const MIN = 60_000

function status(m: RiskMonitors, now: number, name: MonitorName): MonitorStatus {
  const s = m.evaluate(now).find((x) => x.name === name)
  if (s === undefined) throw new Error(`no ${name} status`)
  return s
}

describe('RiskMonitors: enabling', () => {
  it('reports nothing when no threshold is set', () => {
    const m = new RiskMonitors({})
    m.observePnl(T0, { dailyPnl: dec(-1e9), equity: dec(1) })
    expect(m.evaluate(T0)).toEqual([])
    expect(m.breaches(T0)).toEqual([])
  })

  it('reports only the monitors that have a threshold', () => {
    const m = new RiskMonitors({ drawdown: { critical: 0.5 }, errorRate: { warning: 0.1 } })
    expect(m.evaluate(T0).map((s) => s.name)).toEqual(['drawdown', 'error_rate'])
  })

  it.each<[string, MonitorThresholds]>([
    ['warning beyond critical', { drawdown: { warning: 0.3, critical: 0.2 } }],
    ['negative level', { errorRate: { warning: -0.1 } }],
    ['negative money level', { dailyLoss: { critical: dec(-5) } }],
    ['non-finite level', { dataStalenessSec: { critical: Number.NaN } }],
  ])('refuses a %s', (_, thresholds) => {
    expect(() => new RiskMonitors(thresholds)).toThrow(InputError)
  })

  it('refuses a non-finite observation instead of corrupting its sums', () => {
    const m = new RiskMonitors({ slippageRatio: { critical: 2 } })
    expect(() => m.observeSlippage(T0, Number.NaN, 1)).toThrow(InputError)
    expect(() => m.observePnl(T0, { dailyPnl: dec(Number.NaN), equity: dec(1) })).toThrow(InputError)
  })
})

describe('RiskMonitors: daily loss', () => {
  const abs = { dailyLoss: { warning: dec(100), critical: dec(200) } }

  it.each([
    ['+50', 'ok', 0],
    ['-99.99', 'ok', 99.99],
    ['-100', 'warning', 100],
    ['-100.01', 'warning', 100.01],
    ['-199.99', 'warning', 199.99],
    ['-200', 'critical', 200],
    ['-200.01', 'critical', 200.01],
  ] as const)('absolute: daily P&L %s → %s', (pnl, level, value) => {
    const m = new RiskMonitors(abs)
    m.observePnl(T0, { dailyPnl: dec(pnl), equity: dec(10_000) })
    expect(status(m, T0, 'daily_loss')).toMatchObject({ level, value, warning: 100, critical: 200, unit: 'currency' })
  })

  it.each([
    ['-99.99', 'ok'],
    ['-100', 'warning'],
    ['-100.01', 'warning'],
    ['-199.99', 'warning'],
    ['-200', 'critical'],
    ['-200.01', 'critical'],
  ] as const)('as %% of equity: daily P&L %s on 10000 → %s', (pnl, level) => {
    const m = new RiskMonitors({ dailyLossPct: { warning: 0.01, critical: 0.02 } })
    m.observePnl(T0, { dailyPnl: dec(pnl), equity: dec(10_000) })
    const s = status(m, T0, 'daily_loss')
    expect(s.level).toBe(level)
    expect(s.unit).toBe('fraction')
    expect(s.value).toBeCloseTo(-Number(pnl) / 10_000, 12)
  })

  it('compares the percentage exactly where a float would round below the limit', () => {
    // 0.3 / 3 is 0.09999999999999999 in binary floats; the loss is exactly 10% of equity.
    expect(0.3 / 3 < 0.1).toBe(true)
    const m = new RiskMonitors({ dailyLossPct: { critical: 0.1 } })
    m.observePnl(T0, { dailyPnl: dec('-0.3'), equity: dec(3) })
    expect(status(m, T0, 'daily_loss').level).toBe('critical')
  })

  it.each([
    // loss, absolute level, % level → reported basis
    ['-150', 'fraction', 'warning'], // abs ok, 1.5% ≥ 1% warning → % wins
    ['-1000', 'fraction', 'critical'], // abs warning, 10% critical → % wins
    ['-2000', 'currency', 'critical'], // both critical → absolute on a tie
    ['-50', 'currency', 'ok'], // both ok → absolute
  ] as const)('with both bases, loss %s reports the more severe one (%s, %s)', (pnl, unit, level) => {
    const m = new RiskMonitors({
      dailyLoss: { warning: dec(1000), critical: dec(2000) },
      dailyLossPct: { warning: 0.01, critical: 0.05 },
    })
    m.observePnl(T0, { dailyPnl: dec(pnl), equity: dec(10_000) })
    const s = status(m, T0, 'daily_loss')
    expect({ unit: s.unit, level: s.level }).toEqual({ unit, level })
    expect(s.detail).toContain('of equity 10000')
  })

  it('does not judge a percentage against an unknown or non-positive equity', () => {
    const m = new RiskMonitors({ dailyLossPct: { critical: 0.01 } })
    expect(status(m, T0, 'daily_loss')).toMatchObject({ level: 'ok', value: 0 })
    m.observePnl(T0, { dailyPnl: dec(-100), equity: dec(0) })
    const s = status(m, T0, 'daily_loss')
    expect(s.level).toBe('ok')
    expect(s.detail).toContain('not judged')
  })

  it('forgets yesterday’s loss at 00:00 UTC and tracks the new day from its first observation', () => {
    const m = new RiskMonitors(abs)
    const midnight = utcDayStart(T0) + DAY_MS
    m.observePnl(midnight - MIN, { dailyPnl: dec(-300), equity: dec(9_700) })
    expect(status(m, midnight - 1, 'daily_loss').level).toBe('critical')
    expect(m.breaches(midnight - 1).map((s) => s.name)).toEqual(['daily_loss'])

    const atMidnight = status(m, midnight, 'daily_loss')
    expect(atMidnight).toMatchObject({ level: 'ok', value: 0 })
    expect(atMidnight.detail).toContain('no P&L observed today')
    expect(m.breaches(midnight)).toEqual([])

    m.observePnl(midnight + 10_000, { dailyPnl: dec(-120), equity: dec(9_580) })
    expect(status(m, midnight + 10_000, 'daily_loss')).toMatchObject({ level: 'warning', value: 120 })
  })

  it('ignores an observation older than the latest one', () => {
    const m = new RiskMonitors(abs)
    m.observePnl(T0, { dailyPnl: dec(-250), equity: dec(10_000) })
    m.observePnl(T0 - 1_000, { dailyPnl: dec(0), equity: dec(10_000) })
    expect(status(m, T0, 'daily_loss').level).toBe('critical')
  })
})

describe('RiskMonitors: hourly loss (rolling 60 minutes)', () => {
  const hourly = { hourlyLoss: { warning: dec(100), critical: dec(200) } }

  it.each([
    ['99.99', 'ok'],
    ['100', 'warning'],
    ['100.01', 'warning'],
    ['199.99', 'warning'],
    ['200', 'critical'],
    ['200.01', 'critical'],
  ] as const)('a loss of %s within the hour → %s', (loss, level) => {
    const m = new RiskMonitors(hourly)
    m.observePnl(T0, { dailyPnl: dec(50), equity: dec(10_000) })
    m.observePnl(T0 + 30 * MIN, { dailyPnl: dec(50).sub(loss), equity: dec(10_000) })
    expect(status(m, T0 + 30 * MIN, 'hourly_loss')).toMatchObject({ level, value: Number(loss), unit: 'currency' })
  })

  it.each([
    ['-0.99%', '-99', 'ok'],
    ['-1%', '-100', 'warning'],
    ['-2%', '-200', 'critical'],
  ] as const)('as %% of equity: %s in the hour', (_, pnl, level) => {
    const m = new RiskMonitors({ hourlyLossPct: { warning: 0.01, critical: 0.02 } })
    m.observePnl(T0, { dailyPnl: dec(0), equity: dec(10_000) })
    m.observePnl(T0 + 10 * MIN, { dailyPnl: dec(pnl), equity: dec(10_000) })
    expect(status(m, T0 + 10 * MIN, 'hourly_loss').level).toBe(level)
  })

  // The same 240 lost, once within 40 minutes and once over two hours.
  function lose(m: RiskMonitors, perMinute: number, minutes: number, start: number): number {
    let t = start
    m.observePnl(t, { dailyPnl: dec(0), equity: dec(10_000) })
    for (let i = 1; i <= minutes; i++) {
      t = start + i * MIN
      m.observePnl(t, { dailyPnl: dec(-perMinute * i), equity: dec(10_000 - perMinute * i) })
    }
    return t
  }

  it('a drop within 60 minutes counts in full', () => {
    const m = new RiskMonitors(hourly)
    const end = lose(m, 6, 40, T0)
    expect(status(m, end, 'hourly_loss')).toMatchObject({ level: 'critical', value: 240 })
  })

  it('the same drop spread over 2 hours counts only its last hour', () => {
    const m = new RiskMonitors({ ...hourly, dailyLoss: { critical: dec(200) } })
    const end = lose(m, 2, 120, T0)
    expect(status(m, end, 'hourly_loss')).toMatchObject({ level: 'warning', value: 120 })
    expect(status(m, end, 'daily_loss')).toMatchObject({ level: 'critical', value: 240 })
  })

  it('restarts its window when an operator acknowledges the loss: only a further loss counts', () => {
    const m = new RiskMonitors(hourly)
    const end = lose(m, 6, 40, T0)
    expect(status(m, end, 'hourly_loss').level).toBe('critical')
    m.restartHourlyWindow()
    m.observePnl(end, { dailyPnl: dec(-240), equity: dec(9_760) })
    expect(status(m, end, 'hourly_loss')).toMatchObject({ level: 'ok', value: 0 })
    m.observePnl(end + 5 * MIN, { dailyPnl: dec(-350), equity: dec(9_650) })
    expect(status(m, end + 5 * MIN, 'hourly_loss')).toMatchObject({ level: 'warning', value: 110 })
  })

  it('recovers once the loss leaves the window, with no new observation needed', () => {
    const m = new RiskMonitors(hourly)
    m.observePnl(T0, { dailyPnl: dec(0), equity: dec(10_000) })
    m.observePnl(T0 + MIN, { dailyPnl: dec(-250), equity: dec(9_750) })
    expect(status(m, T0 + 60 * MIN, 'hourly_loss').level).toBe('critical')
    expect(status(m, T0 + 61 * MIN, 'hourly_loss')).toMatchObject({ level: 'ok', value: 0 })
  })

  it('carries P&L across 00:00 UTC although the daily figure restarts', () => {
    const m = new RiskMonitors({ ...hourly, dailyLoss: { warning: dec(100) } })
    const midnight = utcDayStart(T0) + DAY_MS
    m.observePnl(midnight - 60 * MIN, { dailyPnl: dec(0), equity: dec(10_000) })
    m.observePnl(midnight - 30 * MIN, { dailyPnl: dec(-50), equity: dec(9_950) })
    m.observePnl(midnight - 1 * MIN, { dailyPnl: dec(-80), equity: dec(9_920) })
    m.observePnl(midnight + 20 * MIN, { dailyPnl: dec(-100), equity: dec(9_820) })
    // Reference at 23:20 is the 23:00 sample (0); 80 lost before midnight and 100 after.
    expect(status(m, midnight + 20 * MIN, 'hourly_loss')).toMatchObject({ level: 'warning', value: 180 })
    expect(status(m, midnight + 20 * MIN, 'daily_loss')).toMatchObject({ level: 'warning', value: 100 })
  })

  it('keeps its P&L history bounded by the sampling interval', () => {
    const m = new RiskMonitors(hourly, { pnlSampleIntervalMs: 10_000 })
    for (let t = 0; t <= 3 * HOUR_MS; t += 1_000) m.observePnl(T0 + t, { dailyPnl: dec(0), equity: dec(1) })
    expect(m.pnlSampleCount).toBeLessThanOrEqual(HOUR_MS / 10_000 + 1)
    expect(m.pnlSampleCount).toBeGreaterThanOrEqual(HOUR_MS / 10_000)
  })
})

describe('RiskMonitors: drawdown', () => {
  it.each([
    [901, 'ok'],
    [900, 'warning'],
    [899, 'warning'],
    [801, 'warning'],
    [800, 'critical'],
    [799, 'critical'],
  ] as const)('equity %d after a peak of 1000 → %s', (equity, level) => {
    const m = new RiskMonitors({ drawdown: { warning: 0.1, critical: 0.2 } })
    m.observePnl(T0, { dailyPnl: dec(0), equity: dec(1_000) })
    m.observePnl(T0 + 1, { dailyPnl: dec(equity - 1_000), equity: dec(equity) })
    const s = status(m, T0 + 1, 'drawdown')
    expect(s).toMatchObject({ level, warning: 0.1, critical: 0.2, unit: 'fraction' })
    expect(s.value).toBeCloseTo((1_000 - equity) / 1_000, 12)
  })

  it('measures from the highest equity seen, and restarts from the current equity on reset', () => {
    const m = new RiskMonitors({ drawdown: { warning: 0.1, critical: 0.2 } })
    for (const [i, e] of [1_000, 1_200, 1_000].entries()) m.observePnl(T0 + i, { dailyPnl: dec(0), equity: dec(e) })
    const s = status(m, T0 + 2, 'drawdown')
    expect(s.level).toBe('warning')
    expect(s.value).toBeCloseTo(200 / 1_200, 12)
    m.resetDrawdownPeak()
    expect(status(m, T0 + 2, 'drawdown')).toMatchObject({ level: 'ok', value: 0 })
  })
})

describe('RiskMonitors: order error rate', () => {
  const thresholds = { errorRate: { warning: 0.1, critical: 0.5 } }
  const options = { errorWindowMs: 60_000, minAttempts: 10 }

  function feed(m: RiskMonitors, at: number, attempts: number, errors: number): void {
    for (let i = 0; i < attempts; i++) m.observeOrder(at, i >= errors)
  }

  it.each([
    [10, 0, 'ok'],
    [11, 1, 'ok'], // 0.0909, just below warning
    [10, 1, 'warning'], // at warning
    [19, 2, 'warning'], // 0.105, just above
    [21, 10, 'warning'], // 0.476, just below critical
    [20, 10, 'critical'], // at critical
    [19, 10, 'critical'], // 0.526, just above
    [9, 9, 'ok'], // below the minimum attempts: not judged
  ] as const)('%d attempts, %d errors → %s', (attempts, errors, level) => {
    const m = new RiskMonitors(thresholds, options)
    feed(m, T0, attempts, errors)
    const s = status(m, T0, 'error_rate')
    expect(s.level).toBe(level)
    expect(s.value).toBeCloseTo(attempts >= 10 ? errors / attempts : 0, 12)
  })

  it('says why a window with too few attempts is not judged', () => {
    const m = new RiskMonitors(thresholds, options)
    feed(m, T0, 9, 9)
    expect(status(m, T0, 'error_rate').detail).toContain('fewer than 10 attempts')
  })

  it('drops attempts that leave the rolling window', () => {
    const m = new RiskMonitors(thresholds, options)
    feed(m, T0, 10, 10)
    feed(m, T0 + 30_000, 10, 0)
    expect(status(m, T0 + 30_000, 'error_rate')).toMatchObject({ level: 'critical', value: 0.5 })
    // The failures at T0 are out after one window (plus at most one 1 s bucket); the successes remain.
    expect(status(m, T0 + 61_000, 'error_rate')).toMatchObject({ level: 'ok', value: 0 })
    expect(status(m, T0 + 61_000, 'error_rate').detail).toContain('0/10 failed')
  })
})

describe('RiskMonitors: slippage ratio', () => {
  const thresholds = { slippageRatio: { warning: 1.5, critical: 3 } }
  const options = { slippageWindowMs: HOUR_MS, minFills: 5, slippageFloorBps: 1 }

  it.each([
    [14.9, 'ok'],
    [15, 'warning'],
    [15.1, 'warning'],
    [29.9, 'warning'],
    [30, 'critical'],
    [30.1, 'critical'],
    [-30, 'critical'], // sign ignored: distance from the decision price
  ] as const)('realized %d bps against a 10 bps estimate → %s', (realized, level) => {
    const m = new RiskMonitors(thresholds, options)
    for (let i = 0; i < 5; i++) m.observeSlippage(T0 + i, realized, 10)
    const s = status(m, T0 + 5, 'slippage_ratio')
    expect(s.level).toBe(level)
    expect(s.value).toBeCloseTo(Math.abs(realized) / 10, 12)
  })

  it('floors each simulated estimate so a zero estimate gives a finite ratio', () => {
    const m = new RiskMonitors(thresholds, options)
    for (let i = 0; i < 5; i++) m.observeSlippage(T0, 2, 0)
    expect(status(m, T0, 'slippage_ratio')).toMatchObject({ level: 'warning', value: 2 })
  })

  it('weights fills by their bps: one bad fill among good ones is diluted', () => {
    const m = new RiskMonitors(thresholds, options)
    for (let i = 0; i < 4; i++) m.observeSlippage(T0, 5, 5)
    m.observeSlippage(T0, 45, 5)
    // (4×5 + 45) / (5×5) = 2.6
    expect(status(m, T0, 'slippage_ratio')).toMatchObject({ level: 'warning', value: 2.6 })
  })

  it('needs the minimum number of fills and forgets fills outside the window', () => {
    const m = new RiskMonitors(thresholds, options)
    for (let i = 0; i < 4; i++) m.observeSlippage(T0, 100, 1)
    expect(status(m, T0, 'slippage_ratio')).toMatchObject({ level: 'ok', value: 0 })
    m.observeSlippage(T0, 100, 1)
    expect(status(m, T0, 'slippage_ratio').level).toBe('critical')
    expect(status(m, T0 + HOUR_MS + 2 * MIN, 'slippage_ratio')).toMatchObject({ level: 'ok', value: 0 })
  })
})

describe('RiskMonitors: data staleness', () => {
  const thresholds = { dataStalenessSec: { warning: 5, critical: 30 } }
  const FEED = 'binance:BTC/USDT'

  it.each([
    [4_999, 'ok'],
    [5_000, 'warning'],
    [5_001, 'warning'],
    [29_999, 'warning'],
    [30_000, 'critical'],
    [30_001, 'critical'],
  ] as const)('%d ms after the last event → %s', (age, level) => {
    const m = new RiskMonitors(thresholds)
    m.observeData(T0, FEED)
    expect(status(m, T0 + age, 'data_staleness')).toMatchObject({ level, value: age / 1000, feed: FEED, unit: 'seconds' })
  })

  it('judges each feed on its own and lists only the stale one as a breach', () => {
    const m = new RiskMonitors(thresholds)
    m.observeData(T0, 'kraken:ETH/USD')
    m.observeData(T0, FEED)
    m.observeData(T0 + 35_000, FEED)
    const all = m.evaluate(T0 + 40_000)
    expect(all.map((s) => [s.feed, s.level])).toEqual([
      [FEED, 'warning'],
      ['kraken:ETH/USD', 'critical'],
    ])
    expect(m.breaches(T0 + 40_000).map((s) => s.feed)).toEqual(['kraken:ETH/USD'])
  })

  it('a late event does not make a feed look older; a forgotten feed stops counting', () => {
    const m = new RiskMonitors(thresholds)
    m.observeData(T0 + 10_000, FEED)
    m.observeData(T0, FEED)
    expect(status(m, T0 + 10_000, 'data_staleness').value).toBe(0)
    m.forgetFeed(FEED)
    expect(m.evaluate(T0 + 100_000)).toEqual([
      expect.objectContaining({ name: 'data_staleness', level: 'ok', detail: 'no feeds watched' }),
    ])
  })

  it('an expected feed that never delivers goes stale from when it was expected', () => {
    const m = new RiskMonitors(thresholds)
    m.expectFeed(T0, FEED)
    m.expectFeed(T0 + 20_000, FEED) // already watched: keeps its time
    expect(status(m, T0 + 30_000, 'data_staleness').level).toBe('critical')
  })
})

describe('RollingSums', () => {
  it('sums what lies within the window, to one bucket', () => {
    const w = new RollingSums(10_000, 10)
    w.add(0, 1, 2)
    w.add(5_500, 3, 4)
    expect(w.totals(5_500)).toEqual({ a: 4, b: 6 })
    expect(w.totals(10_999)).toEqual({ a: 4, b: 6 }) // bucket [0, 1000) still overlaps (999, 10999]
    expect(w.totals(11_000)).toEqual({ a: 3, b: 4 })
    expect(w.totals(16_000)).toEqual({ a: 0, b: 0 })
  })

  it('refuses an empty window', () => {
    expect(() => new RollingSums(0)).toThrow(InputError)
  })
})

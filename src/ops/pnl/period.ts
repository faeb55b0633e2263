/**
 * @module ops/pnl/period
 * Reporting periods and dates, always in UTC: `today`, `yesterday`, `7d` (the last seven UTC days, today
 * included), `all`, or one day `YYYY-MM-DD`. A period is a half-open range [from, to) of epoch ms.
 */
import { InputError } from '../../model/index.js'
import type { PeriodJson } from './json-types.js'

export const DAY_MS = 86_400_000

export interface Period {
  /** What the operator asked for: `today`, `2024-03-01`, `7d`, `all`. */
  readonly label: string
  /** Inclusive, epoch ms; undefined for `all`. */
  readonly from: number | undefined
  /** Exclusive, epoch ms; undefined for `all`. */
  readonly to: number | undefined
}

/** Start of the UTC day holding `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function utcDate(ms: number): string {
  return new Date(utcDayStart(ms)).toISOString().slice(0, 10)
}

/** Parses a calendar date `YYYY-MM-DD` (a real one: 2024-02-30 is refused) into the start of that UTC day. */
export function parseUtcDate(option: string, value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  const ms = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (Number.isNaN(ms) || utcDate(ms) !== value) throw new InputError(`${option}: expected a date YYYY-MM-DD, got '${value}'`)
  return ms
}

/** One UTC day as a period. */
export function dayPeriod(dayStart: number): Period {
  return { label: utcDate(dayStart), from: dayStart, to: dayStart + DAY_MS }
}

/** Parses `--period`; `now` decides what `today` means. */
export function parsePeriod(option: string, value: string, now: number): Period {
  const today = utcDayStart(now)
  switch (value) {
    case 'all':
      return { label: 'all', from: undefined, to: undefined }
    case 'today':
      return { ...dayPeriod(today), label: 'today' }
    case 'yesterday':
      return { ...dayPeriod(today - DAY_MS), label: 'yesterday' }
    case '7d':
      return { label: '7d', from: today - 6 * DAY_MS, to: today + DAY_MS }
    default:
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw new InputError(`${option}: expected today, yesterday, 7d, all or a date YYYY-MM-DD, got '${value}'`)
      }
      return dayPeriod(parseUtcDate(option, value))
  }
}

/** `[from, to)` as ISO text for people and JSON; `null` ends for an open period. */
export function periodJson(p: Period): PeriodJson {
  return {
    label: p.label,
    from: p.from === undefined ? null : new Date(p.from).toISOString(),
    to: p.to === undefined ? null : new Date(p.to).toISOString(),
  }
}

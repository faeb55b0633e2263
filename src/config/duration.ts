/**
 * @module config/duration
 * Durations as operators write them in sofia.yaml and alert rules — `500ms`, `30s`, `5m`, `1h`, `1d`,
 * or combined like `1h30m` — to integer milliseconds, and back.
 */
import { InputError } from '../model/index.js'

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
type Unit = keyof typeof UNIT_MS
const UNITS_LARGEST_FIRST: readonly Unit[] = ['d', 'h', 'm', 's', 'ms']
const PART = /(\d+(?:\.\d+)?)([a-zA-Z]*)/y

/**
 * Parses a duration such as `30s`, `5m`, `1h30m` or `1.5s` to whole milliseconds.
 * A bare number is refused: `30` could mean seconds or milliseconds, and the config must not guess.
 * @throws InputError saying what is wrong (no location: the caller adds file, line and key).
 */
export function parseDuration(text: string): number {
  const source = text.trim()
  if (source === '') throw new InputError('expected a duration such as 30s, 5m or 1h')
  if (/^\d+(?:\.\d+)?$/.test(source)) throw new InputError(`expected a duration with a unit (ms, s, m, h or d), such as ${source}s`)
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < source.length) {
    const at = PART.lastIndex
    const m = PART.exec(source)
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new InputError(`expected a duration such as 30s, 5m or 1h (bad text at "${source.slice(at)}")`)
    }
    const unit = m[2].toLowerCase()
    if (!isUnit(unit)) {
      throw new InputError(
        m[2] === '' ? 'expected a duration such as 30s, 5m or 1h (a number lacks its unit)' : `unknown duration unit "${m[2]}" (use ms, s, m, h or d)`,
      )
    }
    total += Number(m[1]) * UNIT_MS[unit]
  }
  if (!Number.isSafeInteger(Math.round(total))) throw new InputError('duration is too long')
  return Math.round(total)
}

/** Formats milliseconds as the shortest combined duration (`90000` → `1m30s`); `parseDuration` reads it back. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in ms: ${ms}`)
  if (ms === 0) return '0s'
  let rest = ms
  let out = ''
  for (const unit of UNITS_LARGEST_FIRST) {
    const size = UNIT_MS[unit]
    const count = Math.floor(rest / size)
    if (count > 0) {
      out += `${count}${unit}`
      rest -= count * size
    }
  }
  return out
}

function isUnit(unit: string): unit is Unit {
  return Object.hasOwn(UNIT_MS, unit)
}

/**
 * @module ops/canary/freeze
 * The online-learning freeze file, `config/online_learning_freeze.json` `{frozen, since, reason}`: written
 * by a rollback, read by the online update gate before any model updates itself.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { InputError } from '../../model/index.js'

export const FREEZE_FILE = join('config', 'online_learning_freeze.json')

export interface FreezeState {
  readonly frozen: boolean
  /** ISO 8601. */
  readonly since: string
  readonly reason: string
}

/** The freeze when the file says frozen; undefined when there is no file or it says not frozen. */
export function isFrozen(path: string): { since: number; reason: string } | undefined {
  if (!existsSync(path)) return undefined
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (raw === null || typeof raw !== 'object') throw new InputError(`${path}: expected {"frozen": true, "since": …, "reason": …}`)
  const o = raw as Record<string, unknown>
  if (o['frozen'] !== true) return undefined
  const since = typeof o['since'] === 'string' ? Date.parse(o['since']) : Number.NaN
  return { since: Number.isNaN(since) ? 0 : since, reason: typeof o['reason'] === 'string' ? o['reason'] : '' }
}

export function writeFreeze(path: string, state: FreezeState): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`)
}

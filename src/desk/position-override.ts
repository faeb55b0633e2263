/**
 * @module desk/position-override
 * `config/position_override.json` for a session: read and checked at start (an unknown strategy id stops the
 * start, exit 2), then watched while the session runs.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { AuditWriter } from '../audit/index.js'
import { parsePositionOverride, watchPositionOverrideFile } from '../risk/index.js'
import type { PositionOverride, PositionOverrideFile, PositionOverrideWatch } from '../risk/index.js'

export const POSITION_OVERRIDE_FILE = join('config', 'position_override.json')

/** `{"account": 0.1, "strategies": {"sma-cross": 0.5}, "max_position_pct": 0.005}`: see risk/position-override. */
export function readPositionOverride(path: string, strategies?: readonly string[]): PositionOverrideFile | undefined {
  if (!existsSync(path)) return undefined
  return parsePositionOverride(readFileSync(path, 'utf8'), path, strategies)
}

/**
 * For a session: refuses (exit 2) a position override naming a strategy id the session does not run, puts
 * its max_position_pct into effect, and re-reads the file within 5 s of a change — audited
 * `risk.override_changed`; a bad file is refused (`risk.override_refused`, an alert) and the override in
 * force stays. Call once the session is built; returns the watch to stop.
 */
export function watchSessionPositionOverride(
  trader: { readonly risk: { readonly positionOverride: PositionOverride }; readonly persistence?: AuditWriter<'risk.override_changed' | 'risk.override_refused'> | undefined },
  strategies: readonly string[],
  alert: (line: string) => void,
  path: string = resolve(POSITION_OVERRIDE_FILE),
): PositionOverrideWatch {
  const override = trader.risk.positionOverride
  const initial = readPositionOverride(path, strategies)
  if (initial !== undefined) override.setMaxPositionPct(initial.maxPositionPct)
  return watchPositionOverrideFile(path, {
    strategies,
    apply: (file) => {
      const from = override.snapshot()
      override.replace(file)
      trader.persistence?.audit('risk.override_changed', 'operator:file', { file: path, from, to: override.snapshot() })
      alert(`[warning] position_override: ${path} reloaded: ${JSON.stringify(override.snapshot())}`)
    },
    refuse: (error) => {
      trader.persistence?.audit('risk.override_refused', 'operator:file', { file: path, error, kept: override.snapshot() })
      alert(`[critical] position_override: ${error}; the override in force is kept`)
    },
  })
}

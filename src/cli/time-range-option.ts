/**
 * @module cli/time-range-option
 * `--from TIME --to TIME` of the commands that read a stretch of time (`audit export`, `reconcile`, `sweep`):
 * the half-open range [from, to), each bound an ISO 8601 date/time or epoch ms, either one optional.
 */
import type { Command } from 'commander'
import { parseTime } from './args.js'

export interface TimeRangeFlags {
  from?: string
  to?: string
}

/** Adds `--from` and `--to`; `first` says what `--from` is the time of (`first trade time`). */
export function addTimeRangeOptions(cmd: Command, first: string): Command {
  return cmd.option('--from <time>', `${first} (ISO 8601 or epoch ms)`).option('--to <time>', 'end time, exclusive (ISO 8601 or epoch ms)')
}

/** The range the flags give, in epoch ms; a bound that is not given is left out. */
export function timeRangeOf(flags: TimeRangeFlags): { from?: number; to?: number } {
  return {
    ...(flags.from !== undefined ? { from: parseTime('--from', flags.from) } : {}),
    ...(flags.to !== undefined ? { to: parseTime('--to', flags.to) } : {}),
  }
}

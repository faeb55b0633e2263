/**
 * @module cli/session-stop
 * How a trading session started from the command line (`sofia paper`, `sofia run`) ends: Ctrl-C, SIGTERM or
 * `--duration SECONDS`, all through one AbortSignal. `release` removes the handlers and the timer once it ended.
 */
import { parseNonNegativeNumber } from './args.js'

export interface SessionStop {
  /** Aborted on SIGINT, SIGTERM or when --duration has passed. */
  readonly signal: AbortSignal
  /** Removes the signal handlers and the timer. */
  readonly release: () => void
}

/** Parses `--duration` (InputError on a bad one, before anything is listened to) and listens for the signals. */
export function sessionStop(duration: string | undefined): SessionStop {
  const seconds = duration === undefined ? undefined : parseNonNegativeNumber('--duration', duration)
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000)
  const release = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  return { signal: controller.signal, release }
}

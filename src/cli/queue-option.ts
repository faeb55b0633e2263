/**
 * @module cli/queue-option
 * `--nats URL [--queue NAME] [--timeout D]` of `sofia sweep` and `sofia validate`: run the backtests on
 * `sofia worker` processes through a NATS JetStream work queue instead of local threads.
 */
import { parseDuration } from '../config/index.js'
import { InputError } from '../model/index.js'
import { DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT_MS, queueNames } from '../ops/sweep/index.js'
import type { QueueOptions } from '../ops/sweep/index.js'

export interface QueueFlags {
  nats?: string
  queue?: string
  timeout?: string
}

export const NATS_OPTION = ['--nats <url>', 'run the backtests on `sofia worker` processes through this NATS server (JetStream) instead of local threads'] as const
export const QUEUE_OPTION = ['--queue <name>', `work queue (JetStream stream) of the workers (default ${DEFAULT_QUEUE}; with --nats)`] as const
export const TIMEOUT_OPTION = ['--timeout <duration>', `give up when no worker answers for this long (default ${DEFAULT_QUEUE_TIMEOUT_MS / 1000}s; with --nats)`] as const

/** The queue to run on, or undefined for local threads; InputError for a queue flag without --nats. */
export function queueFromFlags(flags: QueueFlags): QueueOptions | undefined {
  if (flags.nats === undefined) {
    const stray = flags.queue !== undefined ? '--queue' : flags.timeout !== undefined ? '--timeout' : undefined
    if (stray !== undefined) throw new InputError(`${stray}: only with --nats URL`)
    return undefined
  }
  if (flags.queue !== undefined) queueNames(flags.queue)
  let timeoutMs: number | undefined
  if (flags.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(flags.timeout)
    } catch (error) {
      throw new InputError(`--timeout: ${error instanceof Error ? error.message : String(error)}`)
    }
    if (timeoutMs <= 0) throw new InputError('--timeout: must be more than 0')
  }
  return { servers: flags.nats, ...(flags.queue !== undefined ? { queue: flags.queue } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) }
}

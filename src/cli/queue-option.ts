/**
 * @module cli/queue-option
 * `--nats URL [--queue NAME] [--timeout D]` of `sofia sweep` and `sofia validate`: run the backtests on
 * `sofia worker` processes through a NATS JetStream work queue instead of local threads.
 */
import type { Command } from 'commander'
import { parseDuration } from '../config/index.js'
import { InputError } from '../model/index.js'
import { DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT_MS, queueNames } from '../ops/sweep/index.js'
import type { QueueOptions } from '../ops/sweep/index.js'

export interface QueueFlags {
  nats?: string
  queue?: string
  timeout?: string
}

/** Adds `--nats`, `--queue` and `--timeout` to a command. */
export function addQueueOptions(cmd: Command): Command {
  return cmd
    .option('--nats <url>', 'run the backtests on `sofia worker` processes through this NATS server (JetStream) instead of local threads')
    .option('--queue <name>', `work queue (JetStream stream) of the workers (default ${DEFAULT_QUEUE}; with --nats)`)
    .option('--timeout <duration>', `give up when no worker answers for this long (default ${DEFAULT_QUEUE_TIMEOUT_MS / 1000}s; with --nats)`)
}

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

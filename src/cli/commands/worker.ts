/**
 * @module cli/commands/worker
 * `sofia worker --nats URL [--worker-id ID] [--queue NAME] [--ack-wait D]`: a long-running process that takes
 * backtest jobs of `sofia sweep|validate --nats URL` from the NATS JetStream work queue, one at a time, and
 * publishes each result. One JSON object per line on stdout (ready, job, result, error, stopped). SIGTERM or
 * SIGINT: the job being run is finished (its result published and acked), then exit 0.
 */
import { hostname } from 'node:os'
import type { Command } from 'commander'
import { parseDuration } from '../../config/index.js'
import { InputError } from '../../model/index.js'
import { DEFAULT_ACK_WAIT_MS, DEFAULT_QUEUE, queueNames, startQueueWorker } from '../../ops/sweep/index.js'

interface Flags {
  nats: string
  workerId?: string
  queue?: string
  ackWait?: string
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .summary('run backtest jobs of sofia sweep|validate --nats from a NATS JetStream work queue')
    .requiredOption('--nats <url>', 'NATS server (JetStream) of the work queue')
    .option('--worker-id <id>', "this worker's name in results (default: host name and process id)")
    .option('--queue <name>', `work queue (JetStream stream) to take jobs from (default ${DEFAULT_QUEUE})`)
    .option('--ack-wait <duration>', `how soon a job of a worker that died goes to another worker (default ${DEFAULT_ACK_WAIT_MS / 1000}s; set on the queue)`)
    .action(async (flags: Flags) => {
      const workerId = flags.workerId ?? `${hostname()}-${process.pid}`
      if (!/^[A-Za-z0-9_.:@-]{1,128}$/.test(workerId)) throw new InputError(`--worker-id '${workerId}': 1 to 128 letters, digits or _ . : @ -`)
      if (flags.queue !== undefined) queueNames(flags.queue)
      const ackWaitMs = flags.ackWait === undefined ? undefined : parseAckWait(flags.ackWait)
      const worker = await startQueueWorker({
        servers: flags.nats,
        workerId,
        ...(flags.queue !== undefined ? { queue: flags.queue } : {}),
        ...(ackWaitMs !== undefined ? { ackWaitMs } : {}),
        log: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
      })
      const stop = (): void => worker.stop()
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
      await worker.done
    })
}

function parseAckWait(text: string): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch (error) {
    throw new InputError(`--ack-wait: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (ms < 1_000) throw new InputError('--ack-wait: at least 1s')
  return ms
}

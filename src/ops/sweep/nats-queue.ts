/**
 * @module ops/sweep/nats-queue
 * Sweeps over a NATS JetStream work queue instead of local threads (`sofia sweep|validate --nats URL` and
 * `sofia worker --nats URL`).
 *
 * - Jobs: stream QUEUE (default SOFIA_SWEEP) with work-queue retention on `<queue>.jobs.>`, one message per
 *   task on `<queue>.jobs.<sweep>.<index>`, taken through one durable pull consumer (`workers`) that every
 *   worker shares: explicit ack, ack wait 30 s (kept alive with `working()` while a backtest runs), at most
 *   MAX_DELIVER deliveries. A job whose worker dies goes to another worker when its ack wait runs out.
 * - Results: stream QUEUE_RESULTS on `<queue>.results.>`, one message per job on `<queue>.results.<sweep>`,
 *   published with msgID `<sweep>:<index>` so the second result of a redelivered job is dropped by the stream;
 *   the sweep keeps the first result per index anyway.
 * - Progress: core NATS `<queue>.progress.<sweep>`, sent while a worker works on one of the sweep's jobs, so a
 *   sweep waiting on long backtests is not mistaken for one that no worker serves.
 *
 * A job carries the sweep's setup with absolute data paths and the sweep's working directory: every worker
 * must see the same files at the same paths (a shared or identical file system).
 */
import { randomUUID } from 'node:crypto'
import { connectCluster } from '../../cluster/node.js'
import type { NatsConnection } from '@nats-io/transport-node'
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import { InputError } from '../../model/index.js'
import { runSweepTask } from './run-task.js'
import type { SweepReply, SweepTask, SweepWorkerData } from './types.js'

export const DEFAULT_QUEUE = 'SOFIA_SWEEP'
/** How long a sweep waits with no result and no progress from any worker before it gives up. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 60_000
/** How long a job may go unacknowledged (no `working()` either) before it is given to another worker. */
export const DEFAULT_ACK_WAIT_MS = 30_000
/** Deliveries of one job before the queue stops offering it (a job that kills every worker that takes it). */
export const MAX_DELIVER = 5
const CONSUMER = 'workers'
/** Jobs and results nobody collects (a sweep that was killed) are dropped after a day. */
const MAX_AGE_NS = 86_400 * 1e9
const DUPLICATE_WINDOW_NS = 600 * 1e9

/** Where a sweep's jobs go: `--nats URL [--queue NAME] [--timeout D]`. */
export interface QueueOptions {
  readonly servers: string
  readonly queue?: string
  /** Bound on waiting with no result and no progress (default DEFAULT_QUEUE_TIMEOUT_MS). */
  readonly timeoutMs?: number
}

/** One job on the queue: a task of a sweep and the sweep's setup. */
interface QueueJob {
  readonly sweep: string
  readonly setup: SweepWorkerData
  readonly task: SweepTask
}

/** One result on the queue: the reply to a job and the worker that computed it. */
interface QueueResult {
  readonly sweep: string
  readonly worker: string
  readonly reply: SweepReply
}

/** A successful reply, with the worker that ran it. */
export type QueueReply = Extract<SweepReply, { readonly error?: undefined }> & { readonly worker: string }

/** No result and no progress from any worker within the bound. */
export class NoWorkerAnswered extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

interface QueueNames {
  readonly stream: string
  readonly results: string
  readonly jobSubject: (sweep: string, index: number) => string
  readonly resultSubject: (sweep: string) => string
  readonly progressSubject: (sweep: string) => string
  readonly jobsFilter: (sweep: string) => string
}

/** The names of a queue's streams and subjects; InputError for a name NATS would refuse. */
export function queueNames(queue: string = DEFAULT_QUEUE): QueueNames {
  if (!/^[A-Za-z0-9_-]+$/.test(queue)) throw new InputError(`--queue '${queue}': letters, digits, '_' and '-' only`)
  const prefix = queue.toLowerCase()
  return {
    stream: queue,
    results: `${queue}_RESULTS`,
    jobSubject: (sweep, index) => `${prefix}.jobs.${sweep}.${index}`,
    resultSubject: (sweep) => `${prefix}.results.${sweep}`,
    progressSubject: (sweep) => `${prefix}.progress.${sweep}`,
    jobsFilter: (sweep) => `${prefix}.jobs.${sweep}.>`,
  }
}

/**
 * Connects to NATS, or says which server could not be reached (InputError: exit 2). Pings every 2 minutes (NATS's
 * default): a worker's event loop may be held by a backtest for longer than a node's 1 s pings allow.
 */
export function connectQueue(servers: string, name: string): Promise<NatsConnection> {
  return connectCluster(servers, name, { pingIntervalMs: 120_000 })
}

/** Creates the queue's two streams and the workers' consumer when they are missing (both sides call it). */
async function ensureQueue(jsm: JetStreamManager, names: QueueNames, ackWaitMs?: number): Promise<void> {
  const { AckPolicy, JetStreamApiCodes, RetentionPolicy } = await import('@nats-io/jetstream')
  const prefix = names.stream.toLowerCase()
  await ensureStream(jsm, { name: names.stream, subjects: [`${prefix}.jobs.>`], retention: RetentionPolicy.Workqueue, max_age: MAX_AGE_NS })
  await ensureStream(jsm, { name: names.results, subjects: [`${prefix}.results.>`], max_age: MAX_AGE_NS, duplicate_window: DUPLICATE_WINDOW_NS })
  const ackWait = (ackWaitMs ?? DEFAULT_ACK_WAIT_MS) * 1e6
  let info
  try {
    info = await jsm.consumers.info(names.stream, CONSUMER)
  } catch (error) {
    if (!(await isApiError(error, JetStreamApiCodes.ConsumerNotFound))) throw error
    await created(
      () => jsm.consumers.add(names.stream, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ackWait, max_deliver: MAX_DELIVER }),
      () => jsm.consumers.info(names.stream, CONSUMER),
    )
    return
  }
  // Only a worker sets the ack wait: the consumer is shared, so the last worker started decides.
  if (ackWaitMs !== undefined && info.config.ack_wait !== ackWait) await jsm.consumers.update(names.stream, CONSUMER, { ack_wait: ackWait })
}

async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0]): Promise<void> {
  const { JetStreamApiCodes } = await import('@nats-io/jetstream')
  try {
    await jsm.streams.info(config.name)
  } catch (error) {
    if (!(await isApiError(error, JetStreamApiCodes.StreamNotFound))) throw error
    await created(
      () => jsm.streams.add(config),
      () => jsm.streams.info(config.name),
    )
  }
}

/**
 * Creates what another process may be creating at the same moment (two workers starting together). The server
 * may then refuse the second create ("subjects overlap with an existing stream", "consumer already exists")
 * although the first one made exactly what was asked: when it now exists, that is not an error.
 */
async function created(create: () => Promise<unknown>, exists: () => Promise<unknown>): Promise<void> {
  try {
    await create()
  } catch (error) {
    const there = await exists().then(
      () => true,
      () => false,
    )
    if (!there) throw error
  }
}

async function isApiError(error: unknown, code: number): Promise<boolean> {
  const { JetStreamApiError } = await import('@nats-io/jetstream')
  return error instanceof JetStreamApiError && error.code === code
}

/**
 * Runs the tasks on whatever `sofia worker` processes serve the queue and answers in task order, each reply
 * with its worker. A failed task throws as the local run does (`describe(index): error`); no result and no
 * progress for `timeoutMs` throws NoWorkerAnswered. The sweep's jobs and results are removed at the end.
 */
export async function runOnQueue(
  setup: SweepWorkerData,
  tasks: readonly Omit<SweepTask, 'index'>[],
  o: QueueOptions,
  describe: (index: number) => string,
): Promise<QueueReply[]> {
  const names = queueNames(o.queue)
  const timeoutMs = o.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS
  const nc = await connectQueue(o.servers, 'sofia sweep')
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream')
  const sweep = randomUUID()
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  try {
    await ensureQueue(jsm, names)
    // Reading from the start of this sweep's results: nothing is missed, whenever it arrives.
    const messages = await (await js.consumers.get(names.results, { filter_subjects: names.resultSubject(sweep) })).consume()
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    const alive = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        timedOut = true
        void messages.close()
      }, timeoutMs)
    }
    const progress = nc.subscribe(names.progressSubject(sweep), { callback: () => alive() })
    await publishJobs(js, names, tasks.map((t, index) => ({ sweep, setup, task: { index, ...t } })))
    alive()
    const replies: (QueueReply | undefined)[] = new Array(tasks.length)
    let missing = tasks.length
    let failure: Error | undefined
    try {
      for await (const m of messages) {
        alive()
        const { reply, worker } = m.json<QueueResult>()
        if (replies[reply.index] !== undefined) continue
        if (reply.error !== undefined) {
          failure = new InputError(`${describe(reply.index)}: ${reply.error}`)
          break
        }
        replies[reply.index] = { ...reply, worker }
        if (--missing === 0) break
      }
    } finally {
      clearTimeout(timer)
      progress.unsubscribe()
      await messages.close()
    }
    if (failure !== undefined) throw failure
    if (timedOut || missing > 0) {
      throw new NoWorkerAnswered(
        `no worker answered for ${timeoutMs / 1000} s: ${tasks.length - missing} of ${tasks.length} results in (queue ${names.stream} on ${o.servers}; start workers with sofia worker --nats ${o.servers})`,
      )
    }
    return replies.map((r) => r!)
  } finally {
    // Jobs not taken yet (a failed or timed-out sweep) and this sweep's results are of no use to anyone now.
    await jsm.streams.purge(names.stream, { filter: names.jobsFilter(sweep) }).catch(() => undefined)
    await jsm.streams.purge(names.results, { filter: names.resultSubject(sweep) }).catch(() => undefined)
    await nc.close()
  }
}

async function publishJobs(js: JetStreamClient, names: QueueNames, jobs: readonly QueueJob[]): Promise<void> {
  const BATCH = 256
  for (let i = 0; i < jobs.length; i += BATCH) {
    await Promise.all(jobs.slice(i, i + BATCH).map((job) => js.publish(names.jobSubject(job.sweep, job.task.index), JSON.stringify(job))))
  }
}

/** What a queue worker reports: one JSON object per line on stdout in `sofia worker`. */
export type WorkerEvent =
  | { readonly event: 'ready'; readonly worker: string; readonly queue: string; readonly servers: string }
  | { readonly event: 'job'; readonly worker: string; readonly sweep: string; readonly index: number; readonly delivery: number }
  | { readonly event: 'result'; readonly worker: string; readonly sweep: string; readonly index: number; readonly ms: number; readonly error?: string }
  | { readonly event: 'error'; readonly worker: string; readonly message: string }
  | { readonly event: 'stopped'; readonly worker: string; readonly jobs: number }

export interface QueueWorkerOptions {
  readonly servers: string
  readonly queue?: string
  readonly workerId: string
  /** Ack wait of the shared consumer (default DEFAULT_ACK_WAIT_MS). */
  readonly ackWaitMs?: number
  readonly log: (event: WorkerEvent) => void
}

export interface QueueWorker {
  /** Stops taking jobs; a job being run is finished (result published and acked) first. */
  stop(): void
  /** Settles when the worker has stopped and closed its connection. */
  readonly done: Promise<void>
}

/** Connects (InputError if it cannot) and starts taking jobs, one at a time. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const names = queueNames(o.queue)
  const ackWaitMs = o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS
  const nc = await connectQueue(o.servers, `sofia worker ${o.workerId}`)
  // The NATS client is loaded where it is first used (connectCluster): commands that never reach NATS do not load it.
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream')
  const js = jetstream(nc)
  try {
    await ensureQueue(await jetstreamManager(nc), names, ackWaitMs)
  } catch (error) {
    await nc.close()
    throw new InputError(`--nats ${o.servers}: cannot set up queue ${names.stream}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const consumer = await js.consumers.get(names.stream, CONSUMER)
  let stopping = false
  let busy = false
  let jobs = 0

  /** Runs one job, publishes its result, then acks: a worker that dies before the ack leaves the job to another. */
  const handle = async (msg: JsMsg): Promise<void> => {
    let job: QueueJob
    try {
      job = msg.json<QueueJob>()
    } catch {
      msg.term()
      o.log({ event: 'error', worker: o.workerId, message: `job ${msg.subject}: not JSON; dropped` })
      return
    }
    const { sweep, task } = job
    o.log({ event: 'job', worker: o.workerId, sweep, index: task.index, delivery: msg.info.deliveryCount })
    const started = Date.now()
    const beat = (): void => {
      msg.working()
      nc.publish(names.progressSubject(sweep))
    }
    beat()
    const timer = setInterval(beat, ackWaitMs / 3)
    let reply: SweepReply
    try {
      reply = await runSweepTask(job.setup, task)
    } finally {
      clearInterval(timer)
    }
    try {
      const result: QueueResult = { sweep, worker: o.workerId, reply }
      await js.publish(names.resultSubject(sweep), JSON.stringify(result), { msgID: `${sweep}:${task.index}` })
      msg.ack()
      jobs++
      o.log({ event: 'result', worker: o.workerId, sweep, index: task.index, ms: Date.now() - started, ...(reply.error !== undefined ? { error: reply.error } : {}) })
    } catch (error) {
      msg.nak()
      o.log({ event: 'error', worker: o.workerId, message: `job ${sweep}:${task.index}: could not publish the result: ${String(error)}` })
    }
  }

  const done = (async () => {
    while (!stopping) {
      let msg: JsMsg | null
      try {
        msg = await consumer.next({ expires: 30_000 })
      } catch (error) {
        if (stopping) break
        o.log({ event: 'error', worker: o.workerId, message: `taking a job: ${String(error)}` })
        await new Promise((r) => setTimeout(r, 1_000))
        continue
      }
      if (msg === null) continue
      if (stopping) {
        msg.nak()
        break
      }
      busy = true
      await handle(msg)
      busy = false
    }
    if (nc.isDraining()) await nc.closed()
    else if (!nc.isClosed()) await nc.drain()
    o.log({ event: 'stopped', worker: o.workerId, jobs })
  })()
  o.log({ event: 'ready', worker: o.workerId, queue: names.stream, servers: o.servers })
  return {
    stop: () => {
      stopping = true
      // An idle worker's pending pull ends (null) when the connection drains.
      if (!busy && !nc.isClosed() && !nc.isDraining()) void nc.drain()
    },
    done,
  }
}

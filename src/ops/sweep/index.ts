export { MAX_SWEEP_RUNS, combinations, parseGrid, runCurves, runSweep } from './sweep.js'
export type { CurveTask, SweepOptions, SweepResult } from './sweep.js'
export { DEFAULT_ACK_WAIT_MS, DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT_MS, NoWorkerAnswered, queueNames, startQueueWorker } from './nats-queue.js'
export type { QueueOptions, QueueWorker, QueueWorkerOptions, WorkerEvent } from './nats-queue.js'

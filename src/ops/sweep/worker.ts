/**
 * @module ops/sweep/worker
 * One sweep worker thread: runs one backtest per task it is sent (`runSweepTask`) and answers with its figures.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runSweepTask } from './run-task.js'
import type { SweepTask, SweepWorkerData } from './sweep.js'

const setup = workerData as SweepWorkerData
const port = parentPort!

port.on('message', (task: SweepTask) => {
  void runSweepTask(setup, task).then((reply) => port.postMessage(reply))
})

export { MAX_SWEEP_RUNS, combinations, parseGrid, runSweep } from './sweep.js'
export type { SweepOptions, SweepResult } from './sweep.js'

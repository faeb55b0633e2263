export { MAX_SWEEP_RUNS, combinations, parseGrid, runCurves, runSweep } from './sweep.js'
export type { CurveTask, SweepOptions, SweepResult } from './sweep.js'

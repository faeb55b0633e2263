/**
 * @module api/routes/backtests
 * Backtests from the dashboard, run the way `sofia backtest` runs them (the same command, in a child process,
 * so a live session's event loop never waits for one):
 * - `POST /backtests` (operator): a built-in strategy over the synthetic market or a data file in
 *   `<data-dir>/data/`, with parameters; answers 202 with the run's id, 409 while another run is going.
 * - `GET /backtests` (viewer): the runs, newest first, with their summaries; the data files and strategies there are.
 * - `GET /backtests/:id` (viewer): one run with its whole report, its equity curve and its fills.
 * Each run is kept as `<data-dir>/backtests/<id>.json`, its equity curve and fills beside it as `<id>.series.json`.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { STRATEGIES, strategyParamNames } from '../../strategy/index.js'
import { actorOf } from '../auth.js'
import type { BacktestList, BacktestRun, BacktestRunListed } from '../backtest-types.js'
import type { BacktestReport, BacktestSeries } from '../backtest-types.js'
import type { RouteContext } from '../context.js'
import { ApiError } from '../errors.js'
import { anyObject, errorResponses } from '../schemas.js'

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
/** A run longer than this is stopped and recorded as failed. */
const RUN_TIMEOUT_MS = 10 * 60_000
const ID = /^[0-9a-f-]{36}$/
const FILE = /^[A-Za-z0-9._-]{1,200}$/

/** What the list shows of a run's report. */
function summaryOf(r: BacktestRun): BacktestRunListed {
  const { report, ...rest } = r
  if (report === undefined) return rest
  const { currency, from, to, events, netPnl, fees, fills, winRate, sharpe, maxDrawdownPct, orders } = report
  return { ...rest, summary: { currency, from, to, events, netPnl, fees, fills, winRate, sharpe, maxDrawdownPct, orders } }
}

export function backtestRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const dataDir = ctx.deps.dataDir
  const runsDir = dataDir === undefined ? undefined : join(dataDir, 'backtests')
  const filesDir = dataDir === undefined ? undefined : join(dataDir, 'data')
  let running: string | undefined

  const need = (): { runs: string; files: string } => {
    if (runsDir === undefined || filesDir === undefined) throw new ApiError(501, 'NOT_AVAILABLE', 'this server has no data directory for backtests')
    return { runs: runsDir, files: filesDir }
  }
  const save = async (run: BacktestRun): Promise<void> => {
    const { runs } = need()
    mkdirSync(runs, { recursive: true })
    await writeFile(join(runs, `${run.id}.json`), `${JSON.stringify(run)}\n`)
  }
  const load = async (id: string): Promise<BacktestRun | undefined> => {
    const file = join(need().runs, `${id}.json`)
    return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as BacktestRun) : undefined
  }
  const seriesFile = (id: string): string => join(need().runs, `${id}.series.json`)
  const loadSeries = async (id: string): Promise<BacktestSeries | undefined> => {
    const file = seriesFile(id)
    return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as BacktestSeries) : undefined
  }
  const dataFiles = async (): Promise<string[]> => {
    const { files } = need()
    return existsSync(files) ? (await readdir(files, { withFileTypes: true })).filter((d) => d.isFile() && FILE.test(d.name)).map((d) => d.name).sort() : []
  }

  app.get(
    '/backtests',
    {
      config: { access: 'viewer' },
      schema: {
        summary: `Backtests run from the dashboard, newest first, with their summaries; the data files in <data-dir>/data and the strategies a run may use`,
        tags: ['backtests'],
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (): Promise<BacktestList> => {
      const { runs } = need()
      const names = existsSync(runs) ? (await readdir(runs)).filter((f) => f.endsWith('.json') && !f.endsWith('.series.json')) : []
      const all = (await Promise.all(names.map(async (f) => JSON.parse(await readFile(join(runs, f), 'utf8')) as BacktestRun)))
        // A run left 'running' by a server that has stopped since never finished.
        .map((r): BacktestRun => (r.status === 'running' && r.id !== running ? { ...r, status: 'failed', error: 'the server stopped during the run' } : r))
        .sort((a, b) => b.startedAt - a.startedAt)
      return {
        running: running ?? null,
        runs: all.slice(0, 100).map(summaryOf),
        data: ['synthetic', ...(await dataFiles())],
        strategies: STRATEGIES.map((s) => ({ name: s.name, description: s.description, params: strategyParamNames(s.name) })),
      }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/backtests/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One backtest run with its whole report (the JSON of `sofia backtest --json`), its equity curve and its fills (the first 5000)',
        tags: ['backtests'],
        params: { type: 'object', properties: { id: { type: 'string', pattern: ID.source } }, required: ['id'] },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request): Promise<BacktestRun> => {
      const run = await load(request.params.id)
      if (run === undefined) throw new ApiError(404, 'NOT_FOUND', `no backtest ${request.params.id}`)
      const series = run.status === 'done' ? await loadSeries(run.id) : undefined
      return series === undefined ? run : { ...run, series }
    },
  )

  app.post<{ Body: { strategy: string; data: string; params?: Record<string, string>; reason?: string } }>(
    '/backtests',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Starts a backtest of a built-in strategy on the synthetic market or a file in <data-dir>/data (202 with its id; 409 while one runs)',
        tags: ['backtests'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['strategy', 'data'],
          properties: {
            strategy: { type: 'string', minLength: 1, maxLength: 100 },
            data: { type: 'string', minLength: 1, maxLength: 200 },
            params: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 100 } },
            reason: { type: 'string', maxLength: 500 },
          },
        },
        response: { 202: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { files } = need()
      const { strategy, data } = request.body
      const params = request.body.params ?? {}
      if (!STRATEGIES.some((s) => s.name === strategy)) throw new ApiError(400, 'VALIDATION_FAILED', `body/strategy: unknown strategy '${strategy}' (one of ${STRATEGIES.map((s) => s.name).join(', ')})`)
      const known = strategyParamNames(strategy)
      for (const key of Object.keys(params)) {
        if (!known.includes(key)) throw new ApiError(400, 'VALIDATION_FAILED', `body/params/${key}: ${strategy} has no parameter '${key}' (it has ${known.join(', ')})`)
      }
      if (data !== 'synthetic' && !(await dataFiles()).includes(data)) throw new ApiError(400, 'VALIDATION_FAILED', `body/data: no file '${data}' in ${files}`)
      if (running !== undefined) throw new ApiError(409, 'CONFLICT', `backtest ${running} is still running`)
      const run: BacktestRun = { id: randomUUID(), strategy, data, params, actor: actorOf(request), startedAt: Date.now(), status: 'running' }
      running = run.id
      await save(run)
      const args = [CLI, 'backtest', '--strategy', strategy, '--data', data === 'synthetic' ? 'synthetic' : join(files, data), '--store', 'none', '--json', '--series', seriesFile(run.id)]
      for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`)
      execFile(process.execPath, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 1 << 26, cwd: dataDir }, (error, stdout, stderr) => {
        let done: BacktestRun
        try {
          if (error !== null) throw new Error(stderr.trim().split('\n').at(-1) || error.message)
          done = { ...run, status: 'done', finishedAt: Date.now(), report: JSON.parse(stdout) as BacktestReport }
        } catch (e) {
          done = { ...run, status: 'failed', finishedAt: Date.now(), error: e instanceof Error ? e.message : String(e) }
        }
        void save(done)
          .catch((e: unknown) => request.log.error({ err: e }, 'backtest: could not save the run'))
          .finally(() => (running = undefined))
      })
      return reply.code(202).send({ id: run.id, status: run.status })
    },
  )
}

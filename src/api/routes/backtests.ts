/**
 * @module api/routes/backtests
 * Backtests from the dashboard, run the way `sofia backtest` runs them (the same command, in a child process,
 * so a live session's event loop never waits for one):
 * - `POST /backtests` (operator): a built-in strategy, a user's strategy file in the strategies directory, or a
 *   registered version of either (its parameters and code as registered), over the synthetic market or a data
 *   file in `<data-dir>/data/`; answers 202 with the run's id, 409 while another run is going.
 * - `GET /backtests` (viewer): the runs, newest first, with their summaries; the data files, strategies and
 *   registered versions there are.
 * - `GET /backtests/:id` (viewer): one run with its whole report, its equity curve and its fills.
 * Each run is kept as `<data-dir>/backtests/<id>.json`, its equity curve and fills beside it as `<id>.series.json`.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { STRATEGIES, strategyFiles, strategyParamNames } from '../../strategy/index.js'
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
    // Whole or not at all: a reader (GET) never sees a half-written run.
    const file = join(runs, `${run.id}.json`)
    await writeFile(`${file}.tmp`, `${JSON.stringify(run)}\n`)
    await rename(`${file}.tmp`, file)
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
  /** The user's strategy files by name (the file's name without its extension). */
  const userFiles = (): Map<string, string> => {
    const dir = ctx.deps.backtests?.strategyDir
    const files = dir === undefined ? [] : strategyFiles(dir)
    return new Map(files.map((f) => [basename(f, extname(f)), f] as const).filter(([name]) => FILE.test(name) && !STRATEGIES.some((s) => s.name === name)))
  }
  const versions = async (): Promise<BacktestList['versions']> =>
    (await ctx.deps.store.loadStrategyVersions())
      .sort((a, b) => b.createdAt - a.createdAt)
      // The registry writes parameters as text (`RegisteredVersion.params`).
      .map((v) => ({ strategy: v.strategy, version: v.version, status: v.status, params: v.params as Record<string, string> }))
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
        strategies: [
          ...STRATEGIES.map((s) => ({ name: s.name, description: s.description, params: strategyParamNames(s.name) })),
          ...[...userFiles()].map(([name, file]) => ({ name, description: `strategy file ${basename(file)}`, params: [], file: true as const })),
        ],
        versions: await versions(),
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

  app.post<{ Body: { strategy: string; data: string; params?: Record<string, string>; version?: string; reason?: string } }>(
    '/backtests',
    {
      config: { access: 'operator' },
      schema: {
        summary: `Starts a backtest of a strategy (built-in, a file in the strategies directory, or a registered version with its parameters and code) on the synthetic market or a file in <data-dir>/data (202 with its id; 409 while one runs)`,
        tags: ['backtests'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['strategy', 'data'],
          properties: {
            strategy: { type: 'string', minLength: 1, maxLength: 100 },
            data: { type: 'string', minLength: 1, maxLength: 200 },
            params: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 100 } },
            version: { type: 'string', minLength: 1, maxLength: 100 },
            reason: { type: 'string', maxLength: 500 },
          },
        },
        response: { 202: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { files } = need()
      const { strategy, data, version } = request.body
      const params = request.body.params ?? {}
      const builtIn = STRATEGIES.some((s) => s.name === strategy)
      const file = userFiles().get(strategy)
      if (version !== undefined) {
        if (!(await versions()).some((v) => v.strategy === strategy && v.version === version)) throw new ApiError(400, 'VALIDATION_FAILED', `body/version: strategy ${strategy} has no registered version '${version}'`)
        if (Object.keys(params).length > 0) throw new ApiError(400, 'VALIDATION_FAILED', 'body/params: a registered version runs with its own parameters; leave out version to try others')
      } else if (builtIn) {
        const known = strategyParamNames(strategy)
        for (const key of Object.keys(params)) {
          if (!known.includes(key)) throw new ApiError(400, 'VALIDATION_FAILED', `body/params/${key}: ${strategy} has no parameter '${key}' (it has ${known.join(', ')})`)
        }
      } else if (file === undefined) {
        throw new ApiError(400, 'VALIDATION_FAILED', `body/strategy: unknown strategy '${strategy}' (built-in: ${STRATEGIES.map((s) => s.name).join(', ')}; or a file in the strategies directory)`)
      }
      if (data !== 'synthetic' && !(await dataFiles()).includes(data)) throw new ApiError(400, 'VALIDATION_FAILED', `body/data: no file '${data}' in ${files}`)
      if (running !== undefined) throw new ApiError(409, 'CONFLICT', `backtest ${running} is still running`)
      const run: BacktestRun = { id: randomUUID(), strategy, data, params, ...(version !== undefined ? { version } : {}), actor: actorOf(request), startedAt: Date.now(), status: 'running' }
      running = run.id
      await save(run)
      // A version is read from this server's store; a user's file is given by its path.
      const which = version !== undefined ? [strategy, '--strategy-version', version, ...(ctx.deps.backtests?.storeArgs ?? [])] : [file ?? strategy]
      const args = [CLI, 'backtest', '--strategy', ...which, '--data', data === 'synthetic' ? 'synthetic' : join(files, data), '--store', 'none', '--json', '--series', seriesFile(run.id)]
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

/**
 * @module cli/commands/strategy
 * `sofia strategy new NAME [--dir D]` scaffolds a strategy and its test; `sofia strategy list` shows the
 * built-in strategies and the files in the strategies directory with their parameters; `sofia strategy
 * check FILE` loads a file, creates it with its default parameters and runs it on the synthetic market:
 * exit 0 when it runs, 1 when a handler threw, 2 when it does not load.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../../config/index.js'
import { InputError } from '../../model/index.js'
import { STRATEGY_NAME, listStrategies, resolveStrategy, strategyFiles, strategyTemplate, strategyTestTemplate } from '../../strategy/index.js'
import { SYNTHETIC, runBacktest } from '../../system/index.js'
import { collect, keyValues } from '../args.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addConfigOption } from '../session-config.js'

async function strategyDir(flags: { dir?: string; config?: string }): Promise<string> {
  if (flags.dir !== undefined) return resolve(flags.dir)
  const config = await loadConfig({ cwd: process.cwd(), env: process.env, ...(flags.config !== undefined ? { file: flags.config } : {}) })
  return config.strategyDir
}

export function registerStrategy(program: Command): void {
  const cmd = program.command('strategy').summary('write, list and check your own strategies')

  addConfigOption(
    cmd
      .command('new')
      .summary('scaffold a strategy file and its test (it backtests and trades as it is)')
      .argument('<name>', 'strategy name: lower-case letters, digits and dashes')
      .option('--dir <dir>', 'where to write it (default: strategyDir from sofia.yaml, ./strategies)'),
  ).action(async (name: string, flags: { dir?: string; config?: string }) => {
    if (!STRATEGY_NAME.test(name)) throw new InputError(`strategy name '${name}': use lower-case letters, digits and dashes (e.g. ema-trend)`)
    const dir = await strategyDir(flags)
    const file = join(dir, `${name}.ts`)
    const test = join(dir, `${name}.test.mjs`)
    for (const f of [file, test]) if (existsSync(f)) throw new InputError(`${f}: already exists; nothing written`)
    mkdirSync(dir, { recursive: true })
    const shown = relative(process.cwd(), dir) || '.'
    writeFileSync(file, strategyTemplate(name))
    writeFileSync(test, strategyTestTemplate(name, shown))
    process.stdout.write(
      `wrote ${join(shown, `${name}.ts`)} and ${join(shown, `${name}.test.mjs`)}\n` +
        `  npx sofia backtest --strategy ${join(shown, `${name}.ts`)} --data synthetic\n` +
        `  node --test ${join(shown, `${name}.test.mjs`)}\n`,
    )
  })

  addConfigOption(
    cmd
      .command('list')
      .summary('built-in strategies and the files in the strategies directory, with their parameters')
      .option('--dir <dir>', 'strategies directory (default: strategyDir from sofia.yaml, ./strategies)'),
  )
    .option('--json', 'one JSON object')
    .action(async (flags: { dir?: string; config?: string; json?: boolean }) => {
      const dir = await strategyDir(flags)
      for (const file of strategyFiles(dir)) await resolveStrategy(file)
      const all = listStrategies()
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ strategies: all })}\n`)
        return
      }
      let out = ''
      for (const s of all) {
        out += `${s.name}${s.file !== undefined ? `  (${relative(process.cwd(), s.file)})` : '  (built-in)'}: ${s.description}\n`
        for (const p of s.params) out += `  ${p.name}${p.default !== undefined ? ` (default ${p.default})` : p.required ? ' (required)' : ''}  ${p.description}\n`
      }
      process.stdout.write(out)
    })

  cmd
    .command('check')
    .summary('load a strategy file, create it with its defaults and run it on the synthetic market')
    .argument('<file>', 'strategy file (.ts or .js)')
    .option('--param <key=value>', 'strategy parameter (repeatable)', collect, [])
    .option('--events <n>', 'synthetic market events to run (default 50000)', '50000')
    .action(async (file: string, flags: { param: string[]; events: string }) => {
      const name = await resolveStrategy(file)
      const events = Number(flags.events)
      if (!Number.isInteger(events) || events < 0) throw new InputError(`--events: expected a whole number, got '${flags.events}'`)
      const result = await runBacktest({ data: [SYNTHETIC], syntheticEvents: events, strategies: [{ name, params: keyValues('--param', flags.param) }] })
      const r = result.report
      const halted = r.stateChanges.find((c) => c.what === `strategy ${name} → HALTED`)
      process.stdout.write(`${name}: loaded from ${file}; ${r.events} synthetic events, ${r.orders.submitted} orders, ${r.fills} fills\n`)
      if (halted !== undefined) {
        process.stdout.write(`${name}: halted at ${halted.at}: ${halted.cause}\n`)
        process.exitCode = EXIT_PROBLEM
      }
    })
}

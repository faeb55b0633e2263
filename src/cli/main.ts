#!/usr/bin/env node
/**
 * @module cli/main
 * The `sofia` command. Each subcommand lives in its own file under `commands/`; cli/command-table says which,
 * and `sofia X` loads only the file of X.
 */
import { Command, CommanderError } from 'commander'
import { existsSync } from 'node:fs'
import { DEFAULT_CONFIG_FILE } from '../config/default-file.js'
import { registerCommands } from './command-table.js'
import { EXIT_OK, EXIT_USAGE, reportError } from './exit.js'

/** The program with the commands `argv` needs (see command-table: `sofia X` loads X's module alone). */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('sofia')
    .description('Sofia: backtest, paper, shadow, canary and live crypto trading on one code path')
    .version('0.1.0')
    // Commander's own usage errors (unknown flag, missing option) as one line, like every other input error.
    .configureOutput({ outputError: (str, write) => write(`sofia: ${str.trim().replace(/^error: /, '')} (run with --help for usage)\n`) })
    .exitOverride()
  await registerCommands(program, argv)
  for (const cmd of program.commands) cmd.exitOverride()
  program.hook('preAction', async (_program, action) => storeFromConfig(action.opts()['config'] as string | undefined))
  return program
}

/**
 * `dataDir`, `database.url` and `audit.*` of `sofia.yaml` (or `--config FILE`) choose the store (and its audit key
 * and heads file) of every command, below the flags and the environment: they are put where the store options
 * look (SOFIA_HOME, DATABASE_URL, SOFIA_AUDIT_KEY, SOFIA_AUDIT_HEADS) when those are unset. Without a config file nothing changes.
 */
async function storeFromConfig(file: string | undefined): Promise<void> {
  if (file === undefined && !existsSync(DEFAULT_CONFIG_FILE)) return
  // Loaded here, not at start-up: the schema (zod) is most of what a command that reads no config would load.
  const { loadConfig } = await import('../config/index.js')
  const config = await loadConfig({ ...(file !== undefined ? { file } : {}), env: process.env })
  if (!process.env['SOFIA_HOME'] && config.source.file !== undefined) process.env['SOFIA_HOME'] = config.dataDir
  if (!process.env['DATABASE_URL'] && config.database?.url !== undefined) process.env['DATABASE_URL'] = config.database.url.reveal()
  if (!process.env['SOFIA_AUDIT_KEY'] && config.audit?.keyFile !== undefined) process.env['SOFIA_AUDIT_KEY'] = config.audit.keyFile
  if (!process.env['SOFIA_AUDIT_HEADS'] && config.audit?.headsFile !== undefined) process.env['SOFIA_AUDIT_HEADS'] = config.audit.headsFile
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv)
    await program.parseAsync(argv as string[], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help / version).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    return reportError(error)
  }
}

// A reader that goes away (`sofia … | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

const code = await main(process.argv.slice(2))
process.exitCode = code

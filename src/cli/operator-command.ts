/**
 * @module cli/operator-command
 * Shared plumbing of the operator commands: the store, the configuration's kill-switch mode, the actor.
 * With a token in SOFIA_TOKEN and a running `sofia serve`, commands go through its HTTP API (actor: the
 * token's name); otherwise through the store's control channel.
 */
import { userInfo } from 'node:os'
import type { Command } from 'commander'
// The API's submodules, not its index: the index loads the HTTP server, which a CLI command never needs.
import { ApiClient, executeViaApi, runningApi } from '../api/client.js'
import { OperatorConsole } from '../system/index.js'
import type { OperatorResult } from '../system/index.js'
import { EXIT_PROBLEM } from './exit.js'
import { addConfigOption, sessionConfig } from './session-config.js'
import { addStoreOptions, openStoreFromFlags } from './store-option.js'
import type { StoreFlags } from './store-option.js'

export interface OperatorFlags extends StoreFlags {
  config?: string
  actor?: string
  json?: boolean
}

export function addOperatorOptions(cmd: Command): Command {
  return addConfigOption(addStoreOptions(cmd))
    .option('--actor <name>', 'who is acting (default: your user name)')
    .option('--json', 'print the result as JSON')
}

export function actorOf(flags: OperatorFlags): string {
  let name = flags.actor
  if (name === undefined) {
    try {
      name = process.env['USER'] ?? userInfo().username
    } catch {
      name = 'cli'
    }
  }
  return `operator:${name}`
}

/** Opens the console, runs `fn`, closes the store. */
export async function withConsole<T>(flags: OperatorFlags, fn: (console: OperatorConsole) => Promise<T>): Promise<T> {
  const { config, killFile } = await sessionConfig(flags)
  const store = await openStoreFromFlags(flags, { create: false })
  try {
    const token = process.env['SOFIA_TOKEN']
    const endpoint = token ? await runningApi(store) : undefined
    const client = endpoint !== undefined && token ? new ApiClient(endpoint.url, token) : undefined
    return await fn(
      new OperatorConsole(store, config.risk.killSwitch, Date.now, client === undefined ? undefined : (command, args) => executeViaApi(client, command, args), killFile),
    )
  } finally {
    await store.close()
  }
}

/** Prints an operator result; a refusal is exit 1 with its reason. */
export function printResult(flags: OperatorFlags, r: OperatorResult, ok: (result: unknown) => string): void {
  if (flags.json === true) process.stdout.write(`${JSON.stringify(r)}\n`)
  else if (r.ok) process.stdout.write(`${ok(r.result)}${r.via === 'store' ? ' (no session running: recorded in the store)' : ''}\n`)
  else process.stdout.write(`refused: ${r.error ?? 'unknown reason'}\n`)
  if (!r.ok) process.exitCode = EXIT_PROBLEM
}

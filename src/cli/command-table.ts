/**
 * @module cli/command-table
 * Which module registers each top-level command, so that `sofia X` loads X's module alone: a command no longer
 * pays at start-up for every other command's imports (ccxt, Fastify, the engine). `sofia --help`, a bare
 * `sofia`, `sofia help …` and an unknown word load them all, in this order, which is the order help lists them.
 */
import type { Command } from 'commander'

type Register = (program: Command) => void

export interface CommandModule {
  /** The top-level commands the module registers (checked against the module by command-table.test.ts). */
  readonly names: readonly string[]
  readonly load: () => Promise<Register>
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['backtest'], load: async () => (await import('./commands/backtest.js')).registerBacktest },
  { names: ['paper'], load: async () => (await import('./commands/paper.js')).registerPaper },
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServe },
  { names: ['tokens'], load: async () => (await import('./commands/tokens.js')).registerTokens },
  { names: ['backup'], load: async () => (await import('./commands/backup.js')).registerBackup },
  { names: ['audit'], load: async () => (await import('./commands/audit.js')).registerAudit },
  { names: ['kill-switch'], load: async () => (await import('./commands/kill-switch.js')).registerKillSwitch },
  { names: ['cluster'], load: async () => (await import('./commands/cluster.js')).registerCluster },
  {
    names: ['live-toggle', 'wait-for-flat', 'pilot-off', 'risk', 'status'],
    load: async () => (await import('./commands/trading-control.js')).registerTradingControl,
  },
  { names: ['flatten'], load: async () => (await import('./commands/flatten.js')).registerFlatten },
  { names: ['slo'], load: async () => (await import('./commands/slo.js')).registerSlo },
  { names: ['reconcile'], load: async () => (await import('./commands/reconcile.js')).registerReconcile },
  { names: ['exchange-sim'], load: async () => (await import('./commands/exchange-sim.js')).registerExchangeSim },
  { names: ['pnl'], load: async () => (await import('./commands/pnl.js')).registerPnl },
  { names: ['report'], load: async () => (await import('./commands/report.js')).registerReport },
  { names: ['notify'], load: async () => (await import('./commands/notify.js')).registerNotify },
  { names: ['run'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['shadow'], load: async () => (await import('./commands/shadow.js')).registerShadow },
  { names: ['resync'], load: async () => (await import('./commands/resync.js')).registerResync },
  { names: ['preflight'], load: async () => (await import('./commands/preflight.js')).registerPreflight },
  { names: ['data'], load: async () => (await import('./commands/data.js')).registerData },
  { names: ['registry'], load: async () => (await import('./commands/registry.js')).registerRegistry },
  { names: ['canary'], load: async () => (await import('./commands/canary.js')).registerCanary },
  { names: ['rollback'], load: async () => (await import('./commands/rollback.js')).registerRollback },
  { names: ['validate'], load: async () => (await import('./commands/validate.js')).registerValidate },
  { names: ['replay'], load: async () => (await import('./commands/replay.js')).registerReplay },
  { names: ['strategy'], load: async () => (await import('./commands/strategy.js')).registerStrategy },
  { names: ['sweep'], load: async () => (await import('./commands/sweep.js')).registerSweep },
  { names: ['worker'], load: async () => (await import('./commands/worker.js')).registerWorker },
]

/**
 * The modules `argv` needs: the one registering its first word when that is a command, none for `--version`
 * alone, else all of them. The program has no option of its own that takes a value, so the first word not
 * starting with `-` is the command.
 */
export function modulesFor(argv: readonly string[]): readonly CommandModule[] {
  const word = argv.find((a) => !a.startsWith('-'))
  const help = argv.includes('-h') || argv.includes('--help')
  if (word === undefined && !help && (argv.includes('-V') || argv.includes('--version'))) return []
  const one = word === undefined ? undefined : COMMAND_MODULES.find((m) => m.names.includes(word))
  return one !== undefined ? [one] : COMMAND_MODULES
}

/** Registers on `program` the commands `argv` needs (see modulesFor), in the table's order. */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const registers = await Promise.all(modulesFor(argv).map((m) => m.load()))
  for (const register of registers) register(program)
}

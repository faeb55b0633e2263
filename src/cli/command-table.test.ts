import { readdirSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { COMMAND_MODULES, modulesFor, registerCommands } from './command-table.js'

describe('command table', () => {
  it('names exactly the commands each module registers, each once', async () => {
    const seen: string[] = []
    for (const m of COMMAND_MODULES) {
      const program = new Command()
      ;(await m.load())(program)
      expect(program.commands.map((c) => c.name())).toEqual(m.names)
      seen.push(...m.names)
    }
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('holds every register function of cli/commands, so no command goes missing from sofia', async () => {
    const dir = new URL('./commands/', import.meta.url)
    const found = new Set<unknown>()
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const module = (await import(new URL(file, dir).href)) as Record<string, unknown>
      for (const [name, value] of Object.entries(module)) if (name.startsWith('register') && typeof value === 'function') found.add(value)
    }
    const listed = new Set(await Promise.all(COMMAND_MODULES.map((m) => m.load())))
    expect(found.size).toBeGreaterThan(20)
    expect([...found].filter((f) => !listed.has(f as never)).map((f) => (f as { name: string }).name)).toEqual([])
  })

  it('loads only the module of the command named first, and all of them otherwise', () => {
    expect(modulesFor(['audit', 'verify', '--quick']).map((m) => m.names)).toEqual([['audit']])
    expect(modulesFor(['status', '--json']).map((m) => m.names[0])).toEqual(['live-toggle'])
    for (const argv of [[], ['--help'], ['-V', '--help'], ['help', 'audit'], ['no-such-command']]) expect(modulesFor(argv)).toBe(COMMAND_MODULES)
    expect(modulesFor(['--version'])).toEqual([])
    expect(modulesFor(['-V'])).toEqual([])
  })

  it('registers a named command with its subcommands and options, as the whole program does', async () => {
    const one = new Command()
    await registerCommands(one, ['audit', 'verify'])
    const all = new Command()
    await registerCommands(all, [])
    const audit = all.commands.find((c) => c.name() === 'audit')!
    expect(one.commands.map((c) => c.name())).toEqual(['audit'])
    expect(one.commands[0]!.commands.map((c) => c.name())).toEqual(audit.commands.map((c) => c.name()))
    expect(all.commands.map((c) => c.name())).toEqual(COMMAND_MODULES.flatMap((m) => m.names))
  })
})

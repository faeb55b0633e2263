/**
 * @module test/helpers
 * Runs the built `sofia` CLI as a child process, the way users run it. `npm test` builds first.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
export const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
export const SHARED_DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url))

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

let home: string | undefined

/** A data directory of this test file's own, so parallel test files never share `./var`. */
export function testHome(): string {
  home ??= mkdtempSync(join(tmpdir(), 'sofia-home-'))
  return home
}

/**
 * The environment CLI tests run with: DATABASE_URL removed (CI sets it for the PostgreSQL suites; a CLI
 * test that wants PostgreSQL passes it in `env`), so the store a test reads is the one it chose.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SOFIA_DEBUG: '', SOFIA_HOME: testHome(), ...extra }
  if (extra['DATABASE_URL'] === undefined) delete env['DATABASE_URL']
  // Vite sets MODE=test in the test runner; MODE is also a runbook variable Sofia reads (and refuses 'test').
  if (extra['MODE'] === undefined) delete env['MODE']
  return env
}

export function sofia(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: cliEnv(options.env),
  })
  if (r.error) throw r.error
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** `sofia` without blocking this process, for tests that must answer the CLI meanwhile (a webhook receiver, say). */
export function sofiaAsync(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)))
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, REPO, cliEnv, sofia } from './helpers.js'

describe('sofia paper (npm start)', () => {
  it('paper-trades the synthetic market on the wall clock and summarizes; its P&L is all simulated', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-paper-'))
    const r = sofia(['paper', '--duration', '4', '--step-ms', '20', '--json', '--data-dir', dataDir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as { events: number; fills: number; orders: { submitted: number }; ledgerVerified: boolean; strategies: { id: string }[] }
    // A paper session's fills are the simulator's: none counts as what an exchange did.
    const pnl = sofia(['pnl', '--data-dir', dataDir, '--json'])
    expect(pnl.code, pnl.stderr).toBe(0)
    const legs = JSON.parse(pnl.stdout) as Record<'live' | 'simulated', { fills: number }>
    expect(legs.live.fills).toBe(0)
    expect(legs.simulated.fills).toBe(report.fills)
    expect(report.events).toBeGreaterThan(500)
    expect(report.orders.submitted).toBeGreaterThan(0)
    expect(report.ledgerVerified).toBe(true)
    expect(report.strategies.map((s) => s.id)).toEqual(['sma-cross', 'cross-venue-arb', 'market-maker'])
  })

  it('prints a live status line and stops cleanly with a summary on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, [CLI, 'paper', '--step-ms', '50', '--data-dir', mkdtempSync(join(tmpdir(), 'sofia-paper-'))], { cwd: REPO, env: cliEnv() })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
    expect(out).toMatch(/\[\s+\d+s\] P&L -?\d+\.\d{2} USDT \| fees/)
    expect(out).toMatch(/session summary/)
    expect(out).toMatch(/net P&L/)
  })
})

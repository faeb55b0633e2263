/**
 * Crash safety for real: a paper session in a child process is killed with SIGKILL at random moments, again
 * and again, on one data directory. After every kill the store must hold a consistent session: the audit
 * chain verifies, every order's filled amount is exactly the sum of its stored fills, no fill is stored
 * twice, the ledger rebuilt from deposits and fills balances to the last decimal, and nothing recorded
 * before a kill is lost or rewritten by the restart (client order ids are never reused).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { syntheticInstruments } from '../src/data/index.js'
import { Prng } from '../src/engine/index.js'
import { Ledger } from '../src/ledger/index.js'
import { dec } from '../src/model/index.js'
import type { Decimal } from '../src/model/index.js'
import { fillTrade, openStore } from '../src/store/index.js'
import type { StoredFill, StoredOrder } from '../src/store/index.js'
import { CLI, REPO, cliEnv, sofia } from './helpers.js'

const KILLS = 24

/**
 * Runs a paper session and SIGKILLs it `ms` after spawning (a kill may land in start-up or recovery) or, with
 * `fromSpawn` false, `ms` after it is up and trading (its first status line), so that on a loaded machine
 * most kills still hit a session that trades.
 */
function runPaperFor(dataDir: string, ms: number, seed: number, fromSpawn: boolean): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'paper', '--data-dir', dataDir, '--step-ms', '5', '--seed', String(seed)], { cwd: REPO, env: cliEnv() })
    let out = ''
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms)
    }
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (/\[\s*\d+s\] P&L/.test(out)) arm()
    })
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    if (fromSpawn) arm()
    // Whatever happens, never wait forever for the first status line.
    const fallback = setTimeout(arm, 15_000)
    child.on('exit', (_code, signal) => {
      clearTimeout(fallback)
      if (timer !== undefined) clearTimeout(timer)
      resolve({ signal, out })
    })
  })
}

async function snapshot(dataDir: string): Promise<{ orders: StoredOrder[]; fills: StoredFill[]; identityOk: boolean }> {
  const store = await openStore({ dataDir, create: false })
  try {
    const orders = await store.loadOrders()
    const fills: StoredFill[] = []
    for await (const batch of store.iterateFills()) fills.push(...batch)
    const ledger = new Ledger({ reportingCurrency: 'USDT' })
    for (const d of await store.loadDeposits()) ledger.deposit(d.venue, d.asset, dec(d.amount))
    const instruments = new Map(syntheticInstruments().map((i) => [i.symbol, i]))
    for (const f of fills) {
      ledger.applyFill(fillTrade(f), instruments.get(f.symbol)!, f.strategyId)
    }
    // The books balance (positions against balances, account against strategies) ...
    ledger.verify()
    // ... and every balance equals, exactly, deposits + fill flows − fees summed straight from the stored rows.
    const expected = new Map<string, Decimal>()
    const add = (venue: string, asset: string, x: Decimal): void => {
      expected.set(`${venue}|${asset}`, (expected.get(`${venue}|${asset}`) ?? dec(0)).add(x))
    }
    for (const d of await store.loadDeposits()) add(d.venue, d.asset, dec(d.amount))
    for (const f of fills) {
      const [base, quote] = f.symbol.split('/') as [string, string]
      const sign = f.side === 'buy' ? 1 : -1
      add(f.venue, base, dec(f.amount).mul(sign))
      add(f.venue, quote, dec(f.cost).mul(-sign))
      add(f.venue, f.feeCurrency, dec(f.feeCost).neg())
    }
    for (const [key, value] of expected) {
      const [venue, asset] = key.split('|') as [string, string]
      if (!ledger.balance(venue, asset).eq(value)) return { orders, fills, identityOk: false }
    }
    return { orders, fills, identityOk: true }
  } finally {
    await store.close()
  }
}

describe('crash safety: kill -9 at random points', () => {
  it(`loses no fill, duplicates no order and keeps the chain verifiable over ${KILLS} SIGKILLs`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-crash-'))
    const rng = new Prng(2024)
    let previous = new Map<string, StoredOrder>()
    let killedWithFills = 0
    for (let i = 0; i < KILLS; i++) {
      const { signal } = await runPaperFor(dataDir, Math.floor(rng.next() * 1500), i + 1, i % 2 === 0)
      expect(signal).toBe('SIGKILL')

      const verify = sofia(['audit', 'verify', '--data-dir', dataDir, '--json'])
      if (!existsSync(join(dataDir, 'sofia.db'))) {
        // Killed before the store was created (it is created whole, or not at all): nothing to check but that
        // the CLI says so rather than report an empty chain as intact.
        expect(previous.size).toBe(0)
        expect(verify.stderr).toMatch(/^sofia: no Sofia database at .*sofia\.db/)
        expect(verify.code).toBe(2)
        continue
      }
      expect(verify.stderr).toBe('')
      expect(verify.code).toBe(0)

      const { orders, fills, identityOk } = await snapshot(dataDir)
      expect(identityOk).toBe(true)
      // No fill twice (the store's key would refuse it; check the data anyway).
      expect(new Set(fills.map((f) => `${f.venue}|${f.tradeId}`)).size).toBe(fills.length)
      // Each order's filled amount is exactly the sum of its stored fills: orders and fills land together.
      const filledBy = new Map<string, Decimal>()
      for (const f of fills) filledBy.set(f.clientOrderId, (filledBy.get(f.clientOrderId) ?? dec(0)).add(f.amount))
      for (const o of orders) expect(`${o.clientOrderId} ${dec(o.filled).toString()}`).toBe(`${o.clientOrderId} ${(filledBy.get(o.clientOrderId) ?? dec(0)).toString()}`)
      for (const f of fills) expect(orders.some((o) => o.clientOrderId === f.clientOrderId)).toBe(true)
      // Nothing recorded before is lost, and a finished order is never rewritten (ids are never reused).
      const now = new Map(orders.map((o) => [o.clientOrderId, o]))
      for (const [id, before] of previous) {
        const after = now.get(id)
        expect(after, `order ${id} disappeared`).toBeDefined()
        if (['closed', 'canceled', 'rejected', 'denied', 'expired'].includes(before.state)) expect(after).toEqual(before)
      }
      previous = now
      if (fills.length > 0) killedWithFills++
    }
    expect(killedWithFills).toBeGreaterThan(KILLS / 2)

    // A clean run after all that recovers and ends normally with a verified ledger.
    const final = sofia(['paper', '--data-dir', dataDir, '--step-ms', '5', '--duration', '2', '--json'])
    // Nothing but the strategies' own lines (ctx.log), if any.
    expect(final.stderr.split('\n').filter((l) => l !== '' && !/^(market-maker|sma-cross|cross-venue-arb): /.test(l)), final.stderr).toEqual([])
    expect(final.code).toBe(0)
    const report = JSON.parse(final.stdout) as { ledgerVerified: boolean; recovery: { epoch: number; fillsReplayed: number } }
    expect(report.ledgerVerified).toBe(true)
    // One epoch per session that got as far as recording its start (a kill may come even before that).
    expect(report.recovery.epoch).toBeGreaterThan(KILLS / 4)
    expect(report.recovery.epoch).toBeLessThanOrEqual(KILLS + 1)
    expect(report.recovery.fillsReplayed).toBeGreaterThan(0)
    expect(sofia(['audit', 'verify', '--data-dir', dataDir]).code).toBe(0)
  }, 240_000)
})

/**
 * End-to-end: a session's ledger is the exchange account's once the exchange is its primary leg, whatever the
 * simulator filled before — after a shadow → live switch in a running session, after a restart in live mode on
 * a store last used in shadow, and after each one's own restart. Judged against the local exchange's own
 * records (`/sim/trades`, `/sim/balances`) of the account, not against Sofia's view of itself.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { dec } from '../src/model/index.js'
import type { Decimal } from '../src/model/index.js'
import { openStore } from '../src/store/index.js'
import type { Store } from '../src/store/index.js'
import type { Strategy } from '../src/strategy/index.js'
import type { ExchangeSession } from '../src/system/index.js'
import { sofia } from './helpers.js'
import { createCcxtExchange } from '../src/venues/ccxt-exchange.js'
import { buildSimSession, readAudit, timerStrategy } from './session-helpers.js'
import { control, useSim, waitFor } from './sim.js'

const SYMBOL = 'BTC/USDT'
const sim = useSim(['--tick-ms', '50', '--seed', '7', '--symbols', SYMBOL, '--trade-probability', '1', '--api-key', 'MK', '--api-secret', 'MS', '--account', 'K2:S2', '--account', 'K3:S3', '--account', 'K4:S4', '--balance', 'USDT=100000', '--balance', 'BTC=10'])
const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** Buys 0.01 BTC at market every 250 ms: every fill adds to the position, so a simulated one cannot hide. */
const buyer = (): Strategy =>
  timerStrategy('buyer', 'tick', 250, (ctx) => {
    ctx.submit({ venue: 'xsim', symbol: SYMBOL, side: 'buy', type: 'market', amount: '0.01' })
  })

type SimTrade = { side: string; amount: number; info: { qty: string } }

/** What the exchange holds of one account: its position from its own trades, its balances. */
async function exchangeAccount(apiKey: string): Promise<{ trades: number; position: Decimal; btc: Decimal; usdt: Decimal }> {
  const trades = await control<SimTrade[]>(sim(), 'GET', `/sim/trades?apiKey=${apiKey}`)
  const balances = await control<Record<string, { free: string; locked: string }>>(sim(), 'GET', `/sim/balances?apiKey=${apiKey}`)
  const total = (asset: string): Decimal => dec(balances[asset]?.free ?? '0').add(balances[asset]?.locked ?? '0')
  const position = trades.reduce((sum, t) => sum.add(t.side === 'buy' ? dec(t.info.qty) : dec(t.info.qty).neg()), dec(0))
  return { trades: trades.length, position, btc: total('BTC'), usdt: total('USDT') }
}

/** The session's ledger of the account, in the same terms. */
function ledgerAccount(session: ExchangeSession): { trades: number; position: Decimal; btc: Decimal; usdt: Decimal } {
  const ledger = session.trader.ledger
  return {
    trades: ledger.totals({ quote: 'USDT' }).fills,
    position: ledger.strategyPositionAmount('buyer', 'xsim', SYMBOL),
    btc: ledger.balance('xsim', 'BTC'),
    usdt: ledger.balance('xsim', 'USDT'),
  }
}

const same = (a: { trades: number; position: Decimal; btc: Decimal; usdt: Decimal }) => ({ trades: a.trades, position: a.position.toString(), btc: a.btc.toString(), usdt: a.usdt.toString() })

/** Runs a session on `store` in `mode`; `during` acts while it trades, then it is stopped. Returns the stopped session. */
async function runSession(store: Store, keys: { apiKey: string; secret: string }, mode: 'shadow' | 'live', during: (s: ExchangeSession) => Promise<void>): Promise<ExchangeSession> {
  const built = await buildSimSession(sim(), { mode, keys, symbols: [SYMBOL], strategies: [buyer()], canaryPercentage: 10, store })
  const session = built.exchange!
  const running = built.start()
  try {
    await during(session)
  } finally {
    built.stop()
  }
  await running
  return session
}

const fillsOf = (s: ExchangeSession): number => s.trader.ledger.totals({ quote: 'USDT' }).fills

describe("the ledger holds the exchange's account once the exchange is the primary leg", () => {
  it('shadow → live in one session, then a restart: positions, fills and balances are the exchange account’s alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-rebase-'))
    dirs.push(dir)
    const keys = { apiKey: 'MK', secret: 'MS' }
    let store = await openStore({ dataDir: dir })
    let shadowFills = 0
    const first = await runSession(store, keys, 'shadow', async (s) => {
      expect(await waitFor(() => fillsOf(s) >= 3, 10_000)).toBe(true)
      const r = await s.command('mode.set', { mode: 'live' }, 'operator:test')
      expect(r.ok, r.error).toBe(true)
      await s.trader.persistence!.barrier()
      shadowFills = (await readAudit(store)).filter((a) => a.type === 'account.rebased').map((a) => a.payload['simulatedFillsLeftOut'] as number)[0] ?? 0
      // Right after the switch, before any live fill: the simulator's position is gone, the balances are the exchange's.
      expect(s.trader.ledger.strategyPositionAmount('buyer', 'xsim', SYMBOL).toString()).toBe((await exchangeAccount('MK')).position.toString())
      expect(await waitFor(async () => (await exchangeAccount('MK')).trades >= 3, 10_000)).toBe(true)
    })
    expect(shadowFills).toBeGreaterThanOrEqual(3)
    const exchange = await exchangeAccount('MK')
    expect(exchange.trades).toBeGreaterThanOrEqual(3)
    expect(same(ledgerAccount(first))).toEqual(same(exchange))
    await store.close()

    // A restart in live mode rebuilds the same account from the store.
    store = await openStore({ dataDir: dir, create: false })
    const second = await runSession(store, keys, 'live', async (s) => {
      expect(s.trader.recovery.simulatedFillsLeftOut).toBe(shadowFills)
      expect(same(ledgerAccount(s))).toEqual(same(exchange))
      expect(await waitFor(async () => (await exchangeAccount('MK')).trades >= exchange.trades + 2, 10_000)).toBe(true)
    })
    expect(same(ledgerAccount(second))).toEqual(same(await exchangeAccount('MK')))
    await store.close()
  }, 90_000)

  it('a store last used in shadow, started in live mode: the simulator’s fills are left out, and stay out after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-rebase-'))
    dirs.push(dir)
    const keys = { apiKey: 'K2', secret: 'S2' }
    let store = await openStore({ dataDir: dir })
    const shadow = await runSession(store, keys, 'shadow', async (s) => {
      expect(await waitFor(() => fillsOf(s) >= 3, 10_000)).toBe(true)
    })
    const shadowFills = fillsOf(shadow)
    expect((await exchangeAccount('K2')).trades).toBe(0)
    await store.close()

    store = await openStore({ dataDir: dir, create: false })
    const live = await runSession(store, keys, 'live', async () => {
      expect(await waitFor(async () => (await exchangeAccount('K2')).trades >= 2, 10_000)).toBe(true)
    })
    const exchange = await exchangeAccount('K2')
    expect(same(ledgerAccount(live))).toEqual(same(exchange))
    const rebased = (await readAudit(store)).filter((a) => a.type === 'account.rebased')
    expect(rebased.map((a) => a.payload['simulatedFillsLeftOut'])).toEqual([shadowFills])
    await store.close()
    // `sofia status` with no session running shows the same position, from the store.
    const status = sofia(['status', '--json', '--data-dir', dir])
    expect(status.code, status.stderr).toBe(0)
    const positions = (JSON.parse(status.stdout) as { positions: { venue: string; symbol: string; amount: string }[] }).positions
    expect(positions).toEqual([{ venue: 'xsim', symbol: SYMBOL, amount: exchange.position.toString() }])

    store = await openStore({ dataDir: dir, create: false })
    const again = await runSession(store, keys, 'live', async (s) => {
      expect(s.trader.recovery.simulatedFillsLeftOut).toBe(shadowFills)
      expect(same(ledgerAccount(s))).toEqual(same(exchange))
    })
    expect(same(ledgerAccount(again))).toEqual(same(await exchangeAccount('K2')))
    // No second rebase: the account was already the exchange's.
    expect((await readAudit(store)).filter((a) => a.type === 'account.rebased')).toHaveLength(1)
    await store.close()
  }, 90_000)

  it('a switch to live the exchange does not answer leaves the session in shadow with nothing sent and its ledger as it was; the next one goes through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-rebase-'))
    dirs.push(dir)
    const store = await openStore({ dataDir: dir })
    try {
      const session = await runSession(store, { apiKey: 'K3', secret: 'S3' }, 'shadow', async (s) => {
        expect(await waitFor(() => fillsOf(s) >= 2, 10_000)).toBe(true)
        await control(sim(), 'POST', '/sim/faults', { serverError: { endpoints: ['GET /api/v3/account'], probability: 1, status: 503 } })
        let failed: { ok: boolean; error?: string | undefined }
        try {
          failed = await s.command('mode.set', { mode: 'live' }, 'operator:test')
        } finally {
          await control(sim(), 'POST', '/sim/faults', {})
        }
        expect(failed.ok).toBe(false)
        expect(s.router.mode).toBe('shadow')
        // The simulator trades on; nothing reached the exchange, and the ledger still holds the simulator's account.
        expect(await waitFor(() => fillsOf(s) >= 4, 10_000)).toBe(true)
        expect((await exchangeAccount('K3')).trades).toBe(0)
        expect((await control<unknown[]>(sim(), 'GET', '/sim/orders?apiKey=K3')).length).toBe(0)
        expect(s.trader.ledger.strategyPositionAmount('buyer', 'xsim', SYMBOL).gt(0)).toBe(true)
        const ok = await s.command('mode.set', { mode: 'live' }, 'operator:test')
        expect(ok.ok, ok.error).toBe(true)
        expect(await waitFor(async () => (await exchangeAccount('K3')).trades >= 2, 10_000)).toBe(true)
      })
      expect(same(ledgerAccount(session))).toEqual(same(await exchangeAccount('K3')))
      const changes = (await readAudit(store)).filter((a) => a.type === 'mode.changed').map((a) => [a.payload['from'], a.payload['to']])
      expect(changes).toEqual([['shadow', 'live']])
    } finally {
      await store.close()
    }
  }, 90_000)

  it('a foreign trade already in the balances the switch took is adopted once: the ledger still equals the exchange, and after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-rebase-'))
    dirs.push(dir)
    const keys = { apiKey: 'K4', secret: 'S4' }
    const foreign = createCcxtExchange({ exchangeId: 'binance', apiKey: 'K4', secret: 'S4', url: sim().url })
    await foreign.loadMarkets()
    // The whole account: every strategy's position, the external one included.
    const account = (s: ExchangeSession) => ({ ...ledgerAccount(s), position: s.trader.ledger.positionAmount('xsim', SYMBOL) })
    let store = await openStore({ dataDir: dir })
    const first = await runSession(store, keys, 'shadow', async (s) => {
      expect(await waitFor(() => fillsOf(s) >= 2, 10_000)).toBe(true)
      await foreign.createOrder(SYMBOL, 'market', 'sell', 0.5)
      const r = await s.command('mode.set', { mode: 'live' }, 'operator:test')
      expect(r.ok, r.error).toBe(true)
      const adopted = await s.command('resync', { adopt: true }, 'operator:test')
      expect(adopted.ok, adopted.error).toBe(true)
      expect(s.trader.ledger.strategyPositionAmount('external', 'xsim', SYMBOL).toString()).toBe('-0.5')
      expect(s.trader.ledger.balance('xsim', 'BTC').toString()).toBe((await exchangeAccount('K4')).btc.toString())
    })
    expect(same(account(first))).toEqual(same(await exchangeAccount('K4')))
    await store.close()
    store = await openStore({ dataDir: dir, create: false })
    const again = await runSession(store, keys, 'live', async (s) => {
      expect(s.trader.ledger.strategyPositionAmount('external', 'xsim', SYMBOL).toString()).toBe('-0.5')
    })
    expect(same(account(again))).toEqual(same(await exchangeAccount('K4')))
    await store.close()
  }, 90_000)
})

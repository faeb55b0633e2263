import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/index.js'
import { riskSettings } from '../system/index.js'
import { exchangeSessionOf, guardRailsOf } from './session-config.js'
import type { SessionConfig } from './session-config.js'

async function configIn(yaml: string, env: Record<string, string> = {}): Promise<SessionConfig> {
  const cwd = mkdtempSync(join(tmpdir(), 'sofia-session-config-'))
  writeFileSync(join(cwd, 'sofia.yaml'), yaml)
  const config = await loadConfig({ cwd, env })
  return { config, risk: riskSettings(config.risk), positionOverride: { account: '0.5' }, killFile: resolve(cwd, 'KILL_SWITCH') }
}

describe('the session on an exchange of sofia run and sofia serve', () => {
  it('takes the exchange, its keys, the roll-out share and the reconciliation cadence from the configuration', async () => {
    const session = await configIn(
      ['exchange:', '  id: binance', '  urls: { api: "http://127.0.0.1:9" }', 'canary:', '  percentage: 7', 'reconcile:', '  ordersEvery: 4s', ''].join('\n'),
      { API_KEY: 'K1', API_SECRET: 'S1' },
    )
    const s = exchangeSessionOf(session, { balance: [], symbols: 'BTC/USDT, ETH/USDT,' }, { mode: 'canary', specs: [{ name: 'market-maker', params: { amount: '0.001' } }] })
    expect(s.kind).toBe('exchange')
    expect(s.mode).toBe('canary')
    expect(s.exchange).toMatchObject({ exchangeId: 'binance', apiKey: 'K1', secret: 'S1', url: 'http://127.0.0.1:9', sandbox: false })
    expect(s.symbols).toEqual(['BTC/USDT', 'ETH/USDT'])
    expect(s.canaryPercentage).toBe(7)
    expect(s.reconcile?.ordersEveryMs).toBe(4000)
    expect(s.strategies.map((x) => x.id)).toEqual(['market-maker'])
    expect(s.strategyParams).toEqual({ 'market-maker': { name: 'market-maker', params: { amount: '0.001' } } })
    expect(s).not.toHaveProperty('shadowBalances')
    expect(s).not.toHaveProperty('venueId')
    // The guard rails every session gets.
    expect(s.riskSettings).toBe(session.risk)
    expect(s.killFile).toBe(session.killFile)
    expect(s.positionOverride).toEqual({ account: '0.5' })
  })

  it('defaults to BTC/USDT, sandboxes testnet, names the venue and the shadow balances given', async () => {
    const session = await configIn('exchange:\n  id: binance\n')
    const s = exchangeSessionOf(session, { balance: ['USDT=1000', 'BTC=2'], venue: 'xsim' }, { mode: 'testnet', specs: [] })
    expect(s.symbols).toEqual(['BTC/USDT'])
    expect(s.exchange.sandbox).toBe(true)
    expect(s.venueId).toBe('xsim')
    expect(s.shadowBalances).toEqual({ USDT: '1000', BTC: '2' })
  })

  it('refuses a bad --balance and a missing exchange with one line naming it', async () => {
    const session = await configIn('exchange:\n  id: binance\n')
    expect(() => exchangeSessionOf(session, { balance: ['USDT'] }, { mode: 'live', specs: [] })).toThrow(/--balance/)
    const none = await configIn('mode: paper\n')
    expect(() => exchangeSessionOf(none, { balance: [] }, { mode: 'live', specs: [] })).toThrow('no exchange: set exchange.id in sofia.yaml, EXCHANGE, or --exchange')
  })

  it('gives a paper session the same guard rails, and no position override when there is none', async () => {
    const session = await configIn('mode: paper\n')
    expect(guardRailsOf(session)).toEqual({ riskSettings: session.risk, killFile: session.killFile, positionOverride: { account: '0.5' } })
    expect(guardRailsOf({ ...session, positionOverride: undefined })).not.toHaveProperty('positionOverride')
  })
})

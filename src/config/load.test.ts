import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { InputError, dec } from '../model/index.js'
import type { RiskLimits } from '../risk/context.js'
import { ConfigError, EXAMPLE_CONFIG, describeConfig, loadConfig, parseConfig, redactConfig } from './index.js'
import type { SofiaConfig } from './index.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sofia-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function load(yaml: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<SofiaConfig> {
  if (yaml !== undefined) await writeFile(join(dir, 'sofia.yaml'), yaml)
  return loadConfig({ cwd: dir, env })
}

async function loadError(yaml: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const error: unknown = await load(yaml, env).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(ConfigError)
  expect(error).toBeInstanceOf(InputError)
  return error as ConfigError
}

const FULL = `mode: canary
dataDir: state
exchange:
  id: Binance
  apiKey: key-AAAA
  apiSecret: secret-BBBB
  sandbox: false
  urls:
    api: http://127.0.0.1:8024
    ws: ws://127.0.0.1:8024/ws
risk:
  killSwitch: off
  maxOrderNotional: 1000
  maxPositionNotional: "5000.25"
  maxGrossExposure: 20000
  maxDailyLoss: 500
  maxDailyLossPct: 0.05
  priceBandPct: 0.02
  maxOpenOrders: 50
  maxOrdersPerSecond: 5
  maxOrdersPerMinute: 120
  allowedSymbols: [BTC/USDT, ETH/USDT]
  allowedVenues: [binance]
  monitors:
    dailyLoss: { warning: 0.6, critical: 0.9 }
    errorRate: { window: 10m }
    staleData: { warning: 5s, critical: 2m }
  circuitBreaker:
    failures: 3
    coolDown: 1m30s
canary:
  percentage: 5
database:
  url: postgres://sofia:db-pass-CCCC@db.internal:5432/sofia
api:
  host: 0.0.0.0
  port: 9000
`

describe('loadConfig', () => {
  it('gives the defaults when there is no sofia.yaml', async () => {
    const config = await load(undefined)
    expect(config).toEqual({
      mode: 'paper',
      risk: {
        killSwitch: 'AUTO',
        selfTrade: 'reject',
        monitors: {
          dailyLoss: { warning: 0.5, critical: 1 },
          hourlyLoss: { warning: 0.25, critical: 0.5 },
          drawdownPct: { warning: 0.05, critical: 0.1 },
          errorRate: { warning: 0.05, critical: 0.2, windowMs: 300_000 },
          slippageRatio: { warning: 1.5, critical: 3 },
          staleDataMs: { warning: 10_000, critical: 60_000 },
        },
        circuitBreaker: { failures: 5, errorRate: 0.5, windowMs: 60_000, coolDownMs: 30_000 },
      },
      canary: { percentage: 1 },
      reconcile: { ordersEveryMs: 10_000, balancesEveryMs: 60_000, haltOnDiscrepancy: false },
      api: { host: '127.0.0.1', port: 8023 },
      dataDir: join(dir, 'var'),
      strategyDir: join(dir, 'strategies'),
      source: { env: [], warnings: [], monitorsConfigured: false },
    })
    expect(Object.isFrozen(config.risk.monitors)).toBe(true)
  })

  it('refuses a named file that does not exist', async () => {
    await expect(loadConfig({ cwd: dir, file: 'missing.yaml', env: {} })).rejects.toThrow(
      new ConfigError(['missing.yaml: config file not found']),
    )
  })

  it('reads a full file', async () => {
    const config = await load(FULL)
    const { exchange, risk, database } = config
    expect(config.mode).toBe('canary')
    expect(config.dataDir).toBe(join(dir, 'state'))
    expect(config.source).toEqual({ file: join(dir, 'sofia.yaml'), env: [], warnings: [], monitorsConfigured: true })
    expect(exchange?.id).toBe('binance')
    expect(exchange?.apiKey?.reveal()).toBe('key-AAAA')
    expect(exchange?.apiSecret?.reveal()).toBe('secret-BBBB')
    expect(exchange?.sandbox).toBe(false)
    expect(exchange?.urls).toEqual({ api: 'http://127.0.0.1:8024', ws: 'ws://127.0.0.1:8024/ws' })
    expect(risk.killSwitch).toBe('OFF')
    expect(risk.maxOrderNotional?.toString()).toBe('1000')
    expect(risk.maxPositionNotional?.toString()).toBe('5000.25')
    expect(risk.maxGrossExposure?.toString()).toBe('20000')
    expect(risk.maxDailyLoss?.toString()).toBe('500')
    expect(risk).toMatchObject({
      maxDailyLossPct: 0.05,
      priceBandPct: 0.02,
      maxOpenOrders: 50,
      maxOrdersPerSecond: 5,
      maxOrdersPerMinute: 120,
      allowedSymbols: ['BTC/USDT', 'ETH/USDT'],
      allowedVenues: ['binance'],
    })
    expect(risk.monitors.dailyLoss).toEqual({ warning: 0.6, critical: 0.9 })
    expect(risk.monitors.hourlyLoss).toEqual({ warning: 0.25, critical: 0.5 })
    expect(risk.monitors.errorRate).toEqual({ warning: 0.05, critical: 0.2, windowMs: 600_000 })
    expect(risk.monitors.staleDataMs).toEqual({ warning: 5_000, critical: 120_000 })
    expect(risk.circuitBreaker).toEqual({ failures: 3, errorRate: 0.5, windowMs: 60_000, coolDownMs: 90_000 })
    expect(config.canary.percentage).toBe(5)
    expect(database?.url.reveal()).toBe('postgres://sofia:db-pass-CCCC@db.internal:5432/sofia')
    expect(config.api).toEqual({ host: '0.0.0.0', port: 9000 })
    const limits: RiskLimits = config.risk // config.risk is handed to the risk gateway as is
    expect(limits.maxOpenOrders).toBe(50)
  })

  it('resolves dataDir against the file’s folder, and SOFIA_HOME against the working directory', async () => {
    await mkdir(join(dir, 'etc'))
    await writeFile(join(dir, 'etc', 'live.yaml'), 'dataDir: ../state\n')
    const fromFile = await loadConfig({ cwd: dir, file: 'etc/live.yaml', env: {} })
    expect(fromFile.dataDir).toBe(join(dir, 'state'))
    const fromEnv = await loadConfig({ cwd: dir, file: 'etc/live.yaml', env: { SOFIA_HOME: 'home' } })
    expect(fromEnv.dataDir).toBe(join(dir, 'home'))
  })

  it('treats an empty value or an empty file as "not set"', async () => {
    const config = await load('risk:\n  maxDailyLoss:\ncanary:\n')
    expect(config.risk.maxDailyLoss).toBeUndefined()
    expect(config.canary.percentage).toBe(1)
    expect((await load('')).mode).toBe('paper')
  })

  it('keeps money exact', async () => {
    const config = await load(
      'risk:\n  maxDailyLoss: 0.1\n  maxOrderNotional: "0.1"\n  maxGrossExposure: "12345678901234567890.123456789"\n',
    )
    expect(config.risk.maxDailyLoss?.eq(dec('0.1'))).toBe(true)
    expect(config.risk.maxOrderNotional?.toString()).toBe('0.1')
    expect(config.risk.maxOrderNotional?.add('0.2').eq('0.3')).toBe(true)
    expect(config.risk.maxGrossExposure?.toString()).toBe('12345678901234567890.123456789')
  })

  it('ships sofia.example.yaml as the example the code documents', async () => {
    const shipped = await readFile(new URL('../../sofia.example.yaml', import.meta.url), 'utf8')
    expect(shipped).toBe(EXAMPLE_CONFIG)
  })

  it('ships an example that documents the defaults: loaded, it is the defaults', async () => {
    const defaults = await load(undefined)
    const example = parseConfig(EXAMPLE_CONFIG, { cwd: dir, env: {} })
    expect(example).toEqual(defaults)
  })

  it('describes a config as YAML that loads back to the same config', async () => {
    const config = await load(FULL.replace(/ {2}api(Key|Secret): .*\n/g, ''))
    const again = parseConfig(describeConfig(config), { cwd: dir, env: {} })
    expect({ ...again, database: undefined }).toEqual({ ...config, database: undefined, source: { env: [], warnings: [], monitorsConfigured: true } })
  })
})

describe('errors name the file, the line and the key', () => {
  it.each([
    ['a bad type', 'mode: paper\nrisk:\n  maxDailyLoss: abc\n', 'sofia.yaml:3: risk.maxDailyLoss: expected a positive number, got "abc"'],
    ['a negative amount', 'risk:\n  maxOrderNotional: -5\n', 'sofia.yaml:2: risk.maxOrderNotional: expected a positive number, got -5'],
    [
      'an unknown key, with a suggestion',
      'risk:\n  maxDailyLos: 500\n',
      'sofia.yaml:2: risk.maxDailyLos: unknown key (did you mean maxDailyLoss?)',
    ],
    [
      'an environment-style key',
      'risk:\n  max_daily_loss: 500\n',
      'sofia.yaml:2: risk.max_daily_loss: unknown key (did you mean maxDailyLoss?)',
    ],
    [
      'an unknown key with nothing close',
      'api:\n  host: localhost\n  banana: 1\n',
      'sofia.yaml:3: api.banana: unknown key (expected one of host, port)',
    ],
    [
      'YAML that does not parse',
      'risk:\n  allowedSymbols: [BTC/USDT\n  maxDailyLoss: 5\n',
      'sofia.yaml:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['a duplicate key', 'mode: paper\nmode: live\n', 'sofia.yaml:2: invalid YAML: Map keys must be unique'],
    [
      'a duration with a bad unit',
      'risk:\n  circuitBreaker:\n    window: 30x\n',
      'sofia.yaml:3: risk.circuitBreaker.window: unknown duration unit "x" (use ms, s, m, h or d), got "30x"',
    ],
    [
      'a duration without a unit',
      'risk:\n  circuitBreaker:\n    coolDown: 30\n',
      'sofia.yaml:3: risk.circuitBreaker.coolDown: expected a duration with a unit (ms, s, m, h or d), such as 30s, got 30',
    ],
    [
      'a canary percentage out of range',
      'canary:\n  percentage: 150\n',
      'sofia.yaml:2: canary.percentage: expected a percentage from 1 to 100, got 150',
    ],
    [
      'a percent where a fraction belongs',
      'risk:\n  priceBandPct: 5\n',
      'sofia.yaml:2: risk.priceBandPct: expected a fraction between 0 and 1 (0.05 = 5%), got 5',
    ],
    ['an unknown mode', 'mode: yolo\n', 'sofia.yaml:1: mode: expected one of paper, backtest, shadow, canary, live, testnet, got "yolo"'],
    ['a list item', 'risk:\n  allowedSymbols:\n    - BTC/USDT\n    - BTCUSDT\n', 'sofia.yaml:4: risk.allowedSymbols[1]: expected a symbol such as BTC/USDT, got "BTCUSDT"'],
    ['a section that is not a mapping', 'risk: 5\n', 'sofia.yaml:1: risk: expected a mapping, got 5'],
    ['a file that is not a mapping', '- paper\n', 'sofia.yaml:1: expected a mapping, got a list'],
    ['a missing required key', 'mode: paper\nexchange:\n  sandbox: true\n', 'sofia.yaml:2: exchange.id: required'],
    [
      'levels in the wrong order',
      'risk:\n  monitors:\n    drawdownPct:\n      warning: 0.2\n      critical: 0.1\n',
      'sofia.yaml:5: risk.monitors.drawdownPct.critical: must not be below the warning level (0.2), got 0.1',
    ],
    ['a live mode without an exchange', 'mode: live\n', 'sofia.yaml:1: mode: live needs an exchange: set exchange.id or EXCHANGE'],
    [
      'a database that is not PostgreSQL, without echoing its password',
      'database:\n  url: mysql://root:hunter2@db/sofia\n',
      'sofia.yaml:2: database.url: expected a postgres:// or postgresql:// URL, got "mysql://root:[REDACTED]@db/sofia"',
    ],
    [
      'a credential YAML read as a number, without echoing it',
      'exchange:\n  id: binance\n  apiKey: 1234567890\n',
      'sofia.yaml:3: exchange.apiKey: expected a string (quote it in YAML)',
    ],
  ])('%s', async (_what, yaml, message) => {
    const error = await loadError(yaml)
    expect(error.message).toBe(message)
    expect(error.message).not.toContain('\n')
  })

  it('reports the first problem by line and keeps the others', async () => {
    const error = await loadError('canary:\n  percentage: 0\nmode: nope\napi:\n  prot: 1\n')
    expect(error.problems).toEqual([
      'sofia.yaml:2: canary.percentage: expected a percentage from 1 to 100, got 0',
      'sofia.yaml:3: mode: expected one of paper, backtest, shadow, canary, live, testnet, got "nope"',
      'sofia.yaml:5: api.prot: unknown key (did you mean port?)',
    ])
    expect(error.message).toBe(error.problems[0])
  })
})

describe('environment overrides', () => {
  it('win over the file', async () => {
    const config = await load('mode: paper\nrisk:\n  maxDailyLoss: 100\n  killSwitch: AUTO\ncanary:\n  percentage: 1\n', {
      MODE: 'live',
      EXCHANGE: 'kraken',
      API_KEY: 'env-key-DDDD',
      API_SECRET: 'env-secret-EEEE',
      MAX_DAILY_LOSS: '250.5',
      MAX_POSITION_USD: '1000',
      KILL_SWITCH: 'on',
      CANARY_PERCENTAGE: '25',
      DATABASE_URL: 'postgresql://u:env-db-FFFF@localhost/sofia',
      SOFIA_HOME: '/srv/sofia',
    })
    expect(config.mode).toBe('live')
    expect(config.exchange?.id).toBe('kraken')
    expect(config.exchange?.apiKey?.reveal()).toBe('env-key-DDDD')
    expect(config.exchange?.apiSecret?.reveal()).toBe('env-secret-EEEE')
    expect(config.risk.maxDailyLoss?.toString()).toBe('250.5')
    expect(config.risk.maxPositionNotional?.toString()).toBe('1000')
    expect(config.risk.killSwitch).toBe('ON')
    expect(config.canary.percentage).toBe(25)
    expect(config.database?.url.reveal()).toBe('postgresql://u:env-db-FFFF@localhost/sofia')
    expect(config.dataDir).toBe('/srv/sofia')
    expect(config.source.env).toEqual([
      'MODE',
      'EXCHANGE',
      'API_KEY',
      'API_SECRET',
      'MAX_DAILY_LOSS',
      'MAX_POSITION_USD',
      'KILL_SWITCH',
      'CANARY_PERCENTAGE',
      'DATABASE_URL',
      'SOFIA_HOME',
    ])
  })

  it('ignore empty variables and credentials with no exchange named', async () => {
    const config = await load(undefined, { MODE: '', API_KEY: 'stray-key', API_SECRET: 'stray-secret' })
    expect(config.mode).toBe('paper')
    expect(config.exchange).toBeUndefined()
    expect(config.source.env).toEqual([])
  })

  it.each([
    [{ MAX_DAILY_LOSS: 'lots' }, 'environment MAX_DAILY_LOSS: expected a positive number, got "lots"'],
    [{ MAX_POSITION_USD: '-1' }, 'environment MAX_POSITION_USD: expected a positive number, got "-1"'],
    [{ MODE: 'prod' }, 'environment MODE: expected one of paper, backtest, shadow, canary, live, testnet, got "prod"'],
    [{ KILL_SWITCH: 'maybe' }, 'environment KILL_SWITCH: expected one of OFF, ON, AUTO, got "maybe"'],
    [{ CANARY_PERCENTAGE: '0.5' }, 'environment CANARY_PERCENTAGE: expected a percentage from 1 to 100, got "0.5"'],
    [{ EXCHANGE: 'bin ance' }, 'environment EXCHANGE: expected a CCXT exchange id such as binance, got "bin ance"'],
    [
      { DATABASE_URL: 'sqlite://u:topsecret@x' },
      'environment DATABASE_URL: expected a postgres:// or postgresql:// URL, got "sqlite://u:[REDACTED]@x"',
    ],
    [{ MODE: 'shadow' }, 'environment MODE: shadow needs an exchange: set exchange.id or EXCHANGE'],
  ])('name the variable when bad: %j', async (env, message) => {
    const error = await loadError('mode: paper\n', env)
    expect(error.message).toBe(message)
  })

  it('put a bad variable first, before problems in the file', async () => {
    const error = await loadError('canary:\n  percentage: 500\n', { MAX_DAILY_LOSS: 'lots' })
    expect(error.problems).toEqual([
      'environment MAX_DAILY_LOSS: expected a positive number, got "lots"',
      'sofia.yaml:2: canary.percentage: expected a percentage from 1 to 100, got 500',
    ])
  })

  it('read the runbook alias TRADING_MODE as MODE, and refuse it contradicting MODE', async () => {
    const config = await load('exchange: { id: binance }\n', { TRADING_MODE: 'shadow' })
    expect(config.mode).toBe('shadow')
    expect(config.source.env).toContain('TRADING_MODE')
    expect((await load('exchange: { id: binance }\n', { TRADING_MODE: 'shadow', MODE: 'shadow' })).mode).toBe('shadow')
    const error = await loadError('exchange: { id: binance }\n', { TRADING_MODE: 'shadow', MODE: 'live' })
    expect(error.message).toMatch(/^environment TRADING_MODE: is an alias of MODE, which is set to a different value/)
    expect((await loadError(undefined, { TRADING_MODE: 'turbo' })).message).toMatch(/^environment TRADING_MODE: /)
  })

  it('warn about a variable that looks like Sofia\'s but is not read, naming the likely one', async () => {
    const config = await load(undefined, { SOFIA_MODE: 'live', MAX_DAILY_LOS: '5', TRADING_HOURS: '9-17', PATH: '/bin', SOFIA_TOKEN: 't' })
    expect(config.mode).toBe('paper')
    expect(config.source.warnings).toEqual([
      'environment MAX_DAILY_LOS: not a variable Sofia reads, ignored (did you mean MAX_DAILY_LOSS?)',
      'environment SOFIA_MODE: not a variable Sofia reads, ignored (did you mean MODE?)',
      'environment TRADING_HOURS: not a variable Sofia reads, ignored (did you mean TRADING_MODE?)',
    ])
  })
})

describe('modes', () => {
  it('testnet turns on the sandbox, and refuses it turned off', async () => {
    const config = await load('mode: testnet\nexchange:\n  id: binance\n')
    expect(config.exchange?.sandbox).toBe(true)
    const error = await loadError('mode: testnet\nexchange:\n  id: binance\n  sandbox: false\n')
    expect(error.message).toBe('sofia.yaml:4: exchange.sandbox: must be true (or left out) in mode testnet, got false')
  })
})

describe('secrets', () => {
  const SECRETS = ['key-AAAA', 'secret-BBBB', 'db-pass-CCCC', 'pass-phrase-GGGG']

  it('never print: not through JSON, String, inspect, redactConfig or describeConfig', async () => {
    const config = await load(FULL.replace('  sandbox: false\n', '  sandbox: false\n  password: pass-phrase-GGGG\n'))
    expect(config.exchange?.password?.reveal()).toBe('pass-phrase-GGGG')
    const shown = [
      JSON.stringify(config),
      inspect(config, { depth: Infinity }),
      `${String(config.exchange?.apiKey)} ${String(config.database?.url)}`,
      JSON.stringify(redactConfig(config)),
      describeConfig(config),
    ]
    for (const text of shown) {
      for (const secret of SECRETS) expect(text).not.toContain(secret)
    }
    const redacted = redactConfig(config)
    expect(redacted['exchange']).toMatchObject({ apiKey: '[REDACTED]', apiSecret: '[REDACTED]', password: '[REDACTED]' })
    expect(redacted['database']).toEqual({ url: 'postgres://sofia:[REDACTED]@db.internal:5432/sofia' })
    const described = parse(describeConfig(config)) as Record<string, Record<string, unknown>>
    expect(described['exchange']?.['apiSecret']).toBe('[REDACTED]')
    expect(described['risk']?.['maxPositionNotional']).toBe('5000.25')
  })

  it('from the environment are redacted too', async () => {
    const config = await load(undefined, {
      EXCHANGE: 'binance',
      API_KEY: 'key-AAAA',
      API_SECRET: 'secret-BBBB',
      DATABASE_URL: 'postgres://u:db-pass-CCCC@h/d?sslpassword=db-pass-CCCC',
    })
    const text = describeConfig(config)
    for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(text).toContain('url: postgres://u:[REDACTED]@h/d?sslpassword=[REDACTED]')
    expect(text).toContain('# environment overrides: EXCHANGE, API_KEY, API_SECRET, DATABASE_URL')
  })
})

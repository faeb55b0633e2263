import { describe, expect, it } from 'vitest'
import { detectFormat } from './data-format.js'
import { hintsFromFileName, normalizeSymbol } from './file-name.js'

describe('hintsFromFileName', () => {
  it.each([
    ['data/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json', { venue: 'binance', symbol: 'XRP/ETH', timeframe: '1m' }],
    ['binance-usdm_XRP-USDT-USDT_1h-mark_2021-11-15.json', { venue: 'binance-usdm', symbol: 'XRP/USDT:USDT', timeframe: '1h' }],
    ['binance-usdm_XRP-USDT-USDT_8h-funding-rate_2021-11-18.json', { venue: 'binance-usdm', symbol: 'XRP/USDT:USDT', timeframe: '8h' }],
    ['binance_XRP-ETH_trades_2019-10-11.json.gz', { venue: 'binance', symbol: 'XRP/ETH' }],
    ['kraken_BCH-EUR_trades_2023-01-01.csv', { venue: 'kraken', symbol: 'BCH/EUR' }],
    ['binance-usdm_BTCUSDT_depth-snapshot_2022-11-01.csv', { venue: 'binance-usdm', symbol: 'BTC/USDT' }],
    ['XRP_ETH-1m.json', { symbol: 'XRP/ETH', timeframe: '1m' }],
    ['XRP_USDT_USDT-5m-futures.json', { symbol: 'XRP/USDT:USDT', timeframe: '5m' }],
    ['ticks.csv', {}],
  ])('%s', (path, hints) => {
    expect(hintsFromFileName(path)).toEqual(hints)
  })

  it.each([
    ['BTCUSDT', 'BTC/USDT'],
    ['ETHBTC', 'ETH/BTC'],
    ['XRP-ETH', 'XRP/ETH'],
    ['XRP_ETH', 'XRP/ETH'],
    ['BTC/USDT', 'BTC/USDT'],
    ['FOO', 'FOO'],
  ])('normalizeSymbol(%s) = %s', (raw, want) => {
    expect(normalizeSymbol(raw)).toBe(want)
  })
})

describe('detectFormat', () => {
  it.each([
    ['a.json', '[[1570752000000,0.00141342,0.00141557,0.00141266,0.00141418,1482.0]]', 'ohlcv-json'],
    ['a.json', '[\n  [1636956000000, 1.2, 1.3, 1.1, 1.2, null]\n]', 'ohlcv-json'],
    ['a.json.gz', '[[1570752011620,"13519807",null,"sell",0.00141342,23.0,0.03250866]]', 'trades-json'],
    ['a.json', '[{"info":{},"timestamp":1}]', 'ccxt-trades-json'],
    ['a.csv', 'timestamp,open,high,low,close,volume\n1,1,1,1,1,1\n', 'ohlcv-csv'],
    ['a.csv', '1672531436,90.540000,1.10448420\n', 'kraken-trades-csv'],
    ['a.csv', 'symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n', 'binance-depth-csv'],
    ['a.csv', 'timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size\n', 'sofia-csv'],
    ['a.txt', '[[1,2,3,4,5,6]]', 'ohlcv-json'],
  ])('%s %j → %s', (path, head, want) => {
    expect(detectFormat(path, head)).toBe(want)
  })
})

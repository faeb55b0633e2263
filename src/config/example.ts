/**
 * @module config/example
 * A commented sofia.yaml documenting every key and its default; shipped as `sofia.example.yaml`.
 * It is itself a valid config: loaded as is, it gives exactly the defaults (a test holds it to that).
 */

export const EXAMPLE_CONFIG = `# sofia.yaml — Sofia's configuration. Every key is optional; the values shown are the defaults,
# and commented-out keys are unset. A key left empty (\`maxDailyLoss:\`) also means "unset".
#
# Environment variables override this file:
#   MODE, EXCHANGE, API_KEY, API_SECRET, MAX_DAILY_LOSS, MAX_POSITION_USD, KILL_SWITCH,
#   CANARY_PERCENTAGE, DATABASE_URL, SOFIA_HOME (dataDir), SOFIA_STRATEGY_DIR (strategyDir).
# Keep credentials in the environment rather than in this file.
#
# Units: money is a number or a quoted decimal ("2500.50") in the reporting currency (USD);
# fractions are 0..1 (0.05 = 5%); durations carry a unit: 500ms, 30s, 5m, 1h, 1d or 1h30m.

# paper | backtest | shadow | canary | live | testnet                                  (MODE)
# shadow, canary, live and testnet need an exchange; testnet is live on the exchange's sandbox.
mode: paper

# Where state lives: SQLite store, audit chain, reports. Relative paths are relative to this file.
dataDir: ./var                                                                   # (SOFIA_HOME)

# Where --strategy NAME finds your strategy files (NAME.ts or NAME.js). Relative to this file.
strategyDir: ./strategies                                                        # (SOFIA_STRATEGY_DIR)

# The exchange, by its CCXT id. Needed for shadow, canary, live and testnet; optional for paper.
# exchange:
#   id: binance                                                                  # (EXCHANGE)
#   apiKey: "..."                                                                # (API_KEY)
#   apiSecret: "..."                                                             # (API_SECRET)
#   password: "..."             # passphrase, for exchanges that need one (CCXT password)
#   sandbox: false              # the exchange's testnet; always true in mode testnet
#   recvWindowMs: 10000         # how long the exchange may still accept a signed request; an unanswered order is
#                               # declared rejected only after it (plus 1 s of clock skew)
#   urls:                       # override the exchange's base URLs, e.g. for the local exchange
#     api: http://127.0.0.1:8024
#     ws: ws://127.0.0.1:8024/ws

risk:
  # OFF: monitors never trip it | ON: halted from the start | AUTO: monitors may trip it (KILL_SWITCH)
  killSwitch: AUTO

  # Pre-trade limits. Each is unset (not checked) unless given.
  # maxOrderNotional: 1000          # max amount × price of one order
  # maxPositionNotional: 5000       # max |position| × price per venue and symbol   (MAX_POSITION_USD)
  # maxGrossExposure: 20000         # max Σ |position| × price over everything
  # maxDailyLoss: 500               # loss today beyond which only reducing orders pass (MAX_DAILY_LOSS)
  # maxDailyLossPct: 0.05           # the same as a fraction of equity
  # priceBandPct: 0.05              # limit price at most this far from the last trade (fat finger)
  # maxOpenOrders: 50               # per strategy and per venue
  # maxOrdersPerSecond: 5           # per strategy and per venue
  # maxOrdersPerMinute: 120
  # allowedSymbols: [BTC/USDT, ETH/USDT]
  # allowedVenues: [binance]
  # An order that would trade with the account's own resting order on the other side of the same market is
  # refused (SELF_TRADE): reject (default) | allow
  # selfTrade: reject

  # Runtime monitors: a warning alerts; a critical level trips the kill switch when it is AUTO.
  # critical must not be below warning. The values below are the defaults, which every paper, shadow, canary
  # and live session runs; a backtest runs monitors only when this block is written (uncommented).
  # monitors:
  #   dailyLoss:        # today's loss as a fraction of the daily loss limit (the tighter of
  #     warning: 0.5    # maxDailyLoss and maxDailyLossPct × equity); inactive when neither is set
  #     critical: 1
  #   hourlyLoss:       # the last hour's loss as a fraction of the same daily loss limit
  #     warning: 0.25
  #     critical: 0.5
  #   drawdownPct:      # fall from peak equity, as a fraction of the peak
  #     warning: 0.05
  #     critical: 0.1
  #   errorRate:        # failed order requests as a fraction of all, over the window
  #     warning: 0.05
  #     critical: 0.2
  #     window: 5m
  #   slippageRatio:    # realized slippage ÷ simulated slippage
  #     warning: 1.5
  #     critical: 3
  #   staleData:        # age of the newest market data
  #     warning: 10s
  #     critical: 60s

  # Per venue and per strategy: opens after \`failures\` consecutive failures or an error rate above
  # \`errorRate\` over \`window\`; after \`coolDown\` a half-open probe may close it again.
  circuitBreaker:
    failures: 5
    errorRate: 0.5
    window: 60s
    coolDown: 30s

canary:
  percentage: 1       # share of each intent sent to the exchange in canary mode, 1-100 (CANARY_PERCENTAGE)

# A live session compares its orders and fills with the exchange's, and its balances, while it runs.
reconcile:
  ordersEvery: 10s
  balancesEvery: 60s
  haltOnDiscrepancy: false   # true: balances that stay different from the exchange's trip the kill switch

# PostgreSQL instead of the embedded SQLite store under dataDir.
# database:
#   url: postgres://sofia:password@127.0.0.1:5432/sofia                         # (DATABASE_URL)

# The audit chain's signing key (kept outside the data directory) and its heads file.
# audit:
#   keyFile: ~/.config/sofia/audit-ed25519.pem                                  # (SOFIA_AUDIT_KEY)
#   headsFile: ./var/audit-heads.jsonl                                           # (SOFIA_AUDIT_HEADS)
#   shipHeads: false   # true: sofia serve also sends each signed head to the webhook (config/alerts.yaml)

# Cluster mode (sofia serve|run --nats URL --node-id ID): one kill switch for every node, over NATS JetStream.
# cluster:
#   nats: nats://127.0.0.1:4222
#   nodeId: desk-1            # unique among live nodes (default: the host name)
#   failClosedAfter: 10s      # without NATS this long, the node halts itself; 0 turns it off

# The operator HTTP API and dashboard.
api:
  host: 127.0.0.1
  port: 8023
`

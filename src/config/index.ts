/**
 * @module config
 * sofia.yaml: schema, loading with environment overrides, one-line errors that say where, and the one
 * printable (redacted) view of a configuration.
 */
export { loadConfig, parseConfig, ConfigError, DEFAULT_CONFIG_FILE, ENV_OVERRIDES } from './load.js'
export type { LoadConfigOptions, ParseConfigOptions } from './load.js'
export { redactConfig, describeConfig } from './redact.js'
export type { ConfigDocument, ConfigValue } from './redact.js'
export { Secret, REDACTED, redactUrl } from './secret.js'
export { parseDuration, formatDuration } from './duration.js'
export { EXAMPLE_CONFIG } from './example.js'
export { MODES, EXCHANGE_MODES, KILL_SWITCH_SETTINGS, SELF_TRADE_SETTINGS } from './types.js'
export type {
  SofiaConfig,
  Mode,
  KillSwitchSetting,
  ConfigSource,
  ExchangeConfig,
  ExchangeUrls,
  RiskConfig,
  Levels,
  MonitorThresholds,
  CircuitBreakerConfig,
  CanaryConfig,
  DatabaseConfig,
  ApiConfig,
} from './types.js'
export { yamlLineOf } from './yaml-lines.js'
export { Invalid, field, duration, oneOf, text, secret, url, mapping } from './schema.js'
export { readYaml, zodProblems, problemLines, fileLine, lineOf, dottedPath, getIn, render } from './problems.js'
export type { Problem, ProblemFormat, YamlSource } from './problems.js'

/**
 * @module strategy/registry
 * The built-in strategies by name: creation from raw `--param k=v` values with one-line errors that name
 * the strategy and the parameter, and a listing for `--help`.
 */
import type { z } from 'zod'
import { Decimal, InputError } from '../model/index.js'
import { crossVenueArb } from './cross-venue-arb.js'
import { marketMaker } from './market-maker.js'
import { smaCross } from './sma-cross.js'
import type { Strategy, StrategyDefinition } from './strategy.js'

/** Every built-in strategy, in the order `--help` lists them. */
export const STRATEGIES: readonly StrategyDefinition[] = [smaCross, crossVenueArb, marketMaker]

export type RawParams = Readonly<Record<string, string | number | boolean>>

export interface StrategyParamInfo {
  readonly name: string
  readonly description: string
  readonly required: boolean
  /** The default as text, when the parameter has a fixed one. */
  readonly default?: string
}

export interface StrategyInfo {
  readonly name: string
  readonly description: string
  readonly params: readonly StrategyParamInfo[]
  /** The file of a user strategy; absent for a built-in. */
  readonly file?: string
}

/** Strategies loaded from users' files this process, by name, with the file each came from. */
const userStrategies = new Map<string, { readonly definition: StrategyDefinition; readonly file: string }>()

function strategyNames(): string {
  return [...STRATEGIES.map((s) => s.name), ...userStrategies.keys()].join(', ')
}

/**
 * Makes a strategy loaded from `file` known by its name. Refused when the name is a built-in's, or another
 * file's; the same file loaded again replaces itself.
 */
export function registerStrategy(definition: StrategyDefinition, file: string): void {
  if (STRATEGIES.some((s) => s.name === definition.name)) {
    throw new InputError(`${file}: strategy name '${definition.name}' is a built-in strategy's; choose another name`)
  }
  const known = userStrategies.get(definition.name)
  if (known !== undefined && known.file !== file) {
    throw new InputError(`${file}: strategy name '${definition.name}' is already taken by ${known.file}`)
  }
  userStrategies.set(definition.name, { definition, file })
}

/** The file a user strategy was loaded from (undefined for a built-in or an unknown name). */
export function strategyFile(name: string): string | undefined {
  return userStrategies.get(name)?.file
}

/** The definition named `name`; InputError listing the available ones otherwise. */
export function findStrategy(name: string): StrategyDefinition {
  const definition = STRATEGIES.find((s) => s.name === name) ?? userStrategies.get(name)?.definition
  if (definition === undefined) throw new InputError(`unknown strategy '${name}' (available: ${strategyNames()})`)
  return definition
}

function paramShape(definition: StrategyDefinition): Record<string, z.ZodType> {
  // An object schema (possibly refined, which keeps it a ZodObject in zod 4). Read by shape, not instanceof:
  // a user's file may bring its own copy of zod.
  const shape = (definition.params as { shape?: unknown }).shape
  return typeof shape === 'object' && shape !== null ? (shape as Record<string, z.ZodType>) : {}
}

/** The parameter names of the strategy named `name` (InputError for an unknown one). */
export function strategyParamNames(strategy: string | StrategyDefinition): string[] {
  return Object.keys(paramShape(typeof strategy === 'string' ? findStrategy(strategy) : strategy))
}

/**
 * Validates `raw` against the strategy's schema (coercing CLI strings to numbers and booleans) and creates
 * the strategy. Throws InputError with one line: `strategy sma-cross: parameter 'fast': expected …`.
 */
export function createStrategy(name: string, id: string, raw: RawParams): Strategy {
  return instantiateStrategy(findStrategy(name), id, raw)
}

/** What an instance was made from: its strategy's name, its parameters as given, and the registered version. */
export interface StrategyOrigin {
  readonly name: string
  readonly params: Readonly<Record<string, string>>
  readonly version?: string
}

const origins = new WeakMap<Strategy, StrategyOrigin>()

/** What `strategy` was made from (undefined for an instance not made by createStrategy/instantiateStrategy). */
export function strategyOrigin(strategy: Strategy): StrategyOrigin | undefined {
  return origins.get(strategy)
}

/** As `createStrategy`, from a definition in hand (a registered version's own code, see ops/canary/registry). */
export function instantiateStrategy(definition: StrategyDefinition, id: string, raw: RawParams, version?: string): Strategy {
  const { strategy, data } = build(definition, id, raw)
  // Every parameter in effect, defaults included, as text (decimals exactly).
  const shown = (v: unknown): string => (typeof v === 'object' && v !== null && !(v instanceof Decimal) ? JSON.stringify(v) : String(v))
  const params = Object.fromEntries(Object.entries(typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, shown(v)]))
  origins.set(strategy, { name: definition.name, params, ...(version !== undefined ? { version } : {}) })
  return strategy
}

function build(definition: StrategyDefinition, id: string, raw: RawParams): { strategy: Strategy; data: unknown } {
  const name = definition.name
  const known = Object.keys(paramShape(definition))
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new InputError(`strategy ${name}: unknown parameter '${key}' (parameters: ${known.join(', ')})`)
    }
  }
  const result = definition.params.safeParse(coerceRaw(paramShape(definition), raw))
  if (!result.success) {
    const issue = result.error.issues[0]
    const param = issue?.path.map(String).join('.') ?? ''
    const message = issue?.message ?? 'invalid'
    throw new InputError(param === '' ? `strategy ${name}: ${message}` : `strategy ${name}: parameter '${param}': ${message}`, {
      cause: result.error,
    })
  }
  return { strategy: definition.create(id, result.data), data: result.data }
}

/** The base type of a parameter schema under its default/optional wrappers (`number`, `boolean`, …). */
function baseType(schema: z.ZodType): string | undefined {
  let def = (schema as { def?: { type?: string; innerType?: z.ZodType } }).def
  while (def !== undefined && (def.type === 'default' || def.type === 'optional' || def.type === 'nullable') && def.innerType !== undefined) {
    def = (def.innerType as { def?: { type?: string; innerType?: z.ZodType } }).def
  }
  return def?.type
}

/**
 * `--param` values arrive as text: a text value for a `z.number()` or `z.boolean()` parameter is read as
 * one (`"14"` → 14, `"true"` → true), so users' schemas need no `z.coerce`. Anything else is left to zod.
 */
function coerceRaw(shape: Record<string, z.ZodType>, raw: RawParams): RawParams {
  const out: Record<string, string | number | boolean> = { ...raw }
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string' || shape[key] === undefined) continue
    const type = baseType(shape[key])
    if (type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) out[key] = Number(value)
    else if (type === 'boolean' && (value === 'true' || value === 'false')) out[key] = value === 'true'
  }
  return out
}

function describeParam(paramName: string, schema: z.ZodType): StrategyParamInfo {
  const description = schema.description ?? ''
  const def = (schema as { def?: { type?: string; defaultValue?: unknown } }).def
  if (def?.type === 'default') return { name: paramName, description, required: false, default: String(def.defaultValue) }
  return { name: paramName, description, required: def?.type !== 'optional' }
}

/** Names, descriptions and parameters (with defaults) of the built-in strategies, then the loaded users' ones. */
export function listStrategies(): readonly StrategyInfo[] {
  const info = (definition: StrategyDefinition, file?: string): StrategyInfo => ({
    name: definition.name,
    description: definition.description,
    params: Object.entries(paramShape(definition)).map(([paramName, schema]) => describeParam(paramName, schema)),
    ...(file !== undefined ? { file } : {}),
  })
  return [...STRATEGIES.map((d) => info(d)), ...[...userStrategies.values()].map((u) => info(u.definition, u.file))]
}

/** The listing as text for `--help`. */
export function formatStrategies(): string {
  const lines: string[] = []
  for (const s of listStrategies()) {
    lines.push(`${s.name}: ${s.description}`)
    for (const p of s.params) {
      const tail = p.default !== undefined ? ` (default ${p.default})` : p.required ? ' (required)' : ''
      lines.push(`  ${p.name}${tail}  ${p.description}`)
    }
  }
  return lines.join('\n')
}

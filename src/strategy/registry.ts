/**
 * @module strategy/registry
 * The built-in strategies by name: creation from raw `--param k=v` values with one-line errors that name
 * the strategy and the parameter, and a listing for `--help`.
 */
import { z } from 'zod'
import { InputError } from '../model/index.js'
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
}

function strategyNames(): string {
  return STRATEGIES.map((s) => s.name).join(', ')
}

/** The definition named `name`; InputError listing the available ones otherwise. */
export function findStrategy(name: string): StrategyDefinition {
  const definition = STRATEGIES.find((s) => s.name === name)
  if (definition === undefined) throw new InputError(`unknown strategy '${name}' (available: ${strategyNames()})`)
  return definition
}

function paramShape(definition: StrategyDefinition): Record<string, z.ZodType> {
  // Every built-in schema is an object (possibly refined, which keeps it a ZodObject in zod 4).
  return definition.params instanceof z.ZodObject ? (definition.params.shape as Record<string, z.ZodType>) : {}
}

/** The parameter names of the strategy named `name` (InputError for an unknown one). */
export function strategyParamNames(name: string): string[] {
  return Object.keys(paramShape(findStrategy(name)))
}

/**
 * Validates `raw` against the strategy's schema (coercing CLI strings to numbers and booleans) and creates
 * the strategy. Throws InputError with one line: `strategy sma-cross: parameter 'fast': expected …`.
 */
export function createStrategy(name: string, id: string, raw: RawParams): Strategy {
  const definition = findStrategy(name)
  const known = Object.keys(paramShape(definition))
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new InputError(`strategy ${name}: unknown parameter '${key}' (parameters: ${known.join(', ')})`)
    }
  }
  const result = definition.params.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const param = issue?.path.map(String).join('.') ?? ''
    const message = issue?.message ?? 'invalid'
    throw new InputError(param === '' ? `strategy ${name}: ${message}` : `strategy ${name}: parameter '${param}': ${message}`, {
      cause: result.error,
    })
  }
  return definition.create(id, result.data)
}

function describeParam(paramName: string, schema: z.ZodType): StrategyParamInfo {
  const description = schema.description ?? ''
  if (schema instanceof z.ZodDefault) {
    const value: unknown = schema.def.defaultValue
    return { name: paramName, description, required: false, default: String(value) }
  }
  return { name: paramName, description, required: !(schema instanceof z.ZodOptional) }
}

/** Names, descriptions and parameters (with defaults) of the built-in strategies. */
export function listStrategies(): readonly StrategyInfo[] {
  return STRATEGIES.map((definition) => ({
    name: definition.name,
    description: definition.description,
    params: Object.entries(paramShape(definition)).map(([paramName, schema]) => describeParam(paramName, schema)),
  }))
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

/**
 * @module config/problems
 * What is wrong with a YAML file checked by a zod schema (sofia.yaml, config/alerts.yaml), one line per problem
 * saying where: `sofia.yaml:12: risk.maxDailyLoss: expected a positive number, got "abc"`, sorted by line.
 */
import { LineCounter, parseDocument } from 'yaml'
import type { Document } from 'yaml'
import type { z } from 'zod'
import { objectShape, schemaAt } from './schema.js'
import { suggestKey } from './suggest.js'
import { yamlLineOf } from './yaml-lines.js'
import { isRecord } from '../model/index.js'

/** A parsed YAML file with what is needed to find the line of a key. */
export interface YamlSource {
  readonly doc: Document
  readonly lines: LineCounter
  readonly value: unknown
}

/** Parses YAML; a syntax error becomes `name:line: invalid YAML: …`, thrown as the error `fail` makes of it. */
export function readYaml(text: string, name: string, fail: (problem: string, cause: unknown) => Error): YamlSource {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true })
  const error = doc.errors[0]
  if (error) {
    const line = error.linePos?.[0].line
    const what = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '')
    throw fail(`${name}${line === undefined ? '' : `:${line}`}: invalid YAML: ${what}`, error)
  }
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: 100 }) }
  } catch (err) {
    throw fail(`${name}: invalid YAML: ${(err as Error).message}`, err)
  }
}

/** One problem, before it is given its line. */
export interface Problem {
  readonly path: readonly PropertyKey[]
  readonly message: string
  /** The offending value, echoed as `, got …`; absent when there is nothing useful (or safe) to show. */
  readonly got?: unknown
}

/**
 * zod's issues as problems, with our wording for the structural ones and the offending value alongside: the
 * value at the issue's path in `raw`, unless the check said what to show (`params: { got }`, undefined for
 * nothing). An unknown key is one problem per key, with a guess at the key meant when `suggest` is set and one
 * is close, otherwise the keys `schema` accepts there.
 */
export function zodProblems(error: z.ZodError, raw: unknown, schema: z.ZodType, options: { readonly suggest: boolean }): Problem[] {
  const problems: Problem[] = []
  for (const issue of error.issues) {
    const path = issue.path
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(objectShape(schemaAt(path, schema)) ?? {})
      for (const key of issue.keys) {
        const suggestion = options.suggest ? suggestKey(key, known) : undefined
        const hint = suggestion === undefined ? `expected one of ${known.join(', ')}` : `did you mean ${suggestion}?`
        problems.push({ path: [...path, key], message: `unknown key (${hint})` })
      }
      continue
    }
    const shown = issue.code === 'custom' && issue.params !== undefined && Object.hasOwn(issue.params, 'got')
    const got: unknown = shown ? issue.params?.got : issue.message === 'required' ? undefined : getIn(raw, path)
    let message = issue.message
    if (issue.code === 'invalid_type') {
      if (got === undefined) message = 'required'
      else if (issue.expected === 'object') message = 'expected a mapping'
      else if (issue.expected === 'array') message = 'expected a list'
    }
    problems.push({ path, message, ...(got === undefined ? {} : { got }) })
  }
  return problems
}

/** How problems of one file are written. */
export interface ProblemFormat {
  /** How messages name the file. */
  readonly name: string
  /** The file, for line numbers; none when there is no file. */
  readonly source?: YamlSource
  /** Paths whose values are never echoed. */
  readonly secret: (path: readonly PropertyKey[]) => boolean
  /** How a path reads; default `risk.allowedSymbols[1]`. */
  readonly pathText?: (path: readonly PropertyKey[]) => string
  /** What may be shown of a value (a URL without its password); default the value. */
  readonly display?: (path: readonly PropertyKey[], value: unknown) => unknown
  /** Where the value came from when not the file (`environment MAX_DAILY_LOSS`); it then replaces file, line and key. */
  readonly origin?: (path: readonly PropertyKey[]) => string | undefined
}

/** One line per problem, in line order (problems on one line keep their order; those without a line go last). */
export function problemLines(problems: readonly Problem[], format: ProblemFormat): string[] {
  return problems
    .map((problem) => ({ problem, line: lineOf(problem.path, format.source) }))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
    .map(({ problem, line }) => formatProblem(problem, line, format))
}

function formatProblem(problem: Problem, line: number | undefined, format: ProblemFormat): string {
  const hidden = problem.got === undefined || format.secret(problem.path)
  const got = hidden ? '' : `, got ${render(format.display ? format.display(problem.path, problem.got) : problem.got)}`
  const origin = format.origin?.(problem.path)
  if (origin !== undefined) return `${origin}: ${problem.message}${got}`
  const key = (format.pathText ?? dottedPath)(problem.path)
  return `${fileLine(format.name, line)}: ${key === '' ? '' : `${key}: `}${problem.message}${got}`
}

/** `sofia.yaml:12`, or the name alone without a line. */
export function fileLine(name: string, line: number | undefined): string {
  return line === undefined ? name : `${name}:${line}`
}

/** Line of the key (or list item) at `path`, else of its nearest ancestor in the file. */
export function lineOf(path: readonly PropertyKey[], source: YamlSource | undefined): number | undefined {
  return source === undefined ? undefined : yamlLineOf(source.doc, source.lines, path)
}

/** `risk.allowedSymbols[1]` */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('')
}

/** A value as an error message shows it: strings quoted (and cut), lists and mappings by kind. */
export function render(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (Array.isArray(value)) return value.length === 0 ? '[]' : 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  return String(value)
}

/** The value at `path` in a tree of plain objects and arrays, or undefined. */
export function getIn(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key]
    else if (isRecord(current) && typeof key === 'string' && Object.hasOwn(current, key)) current = current[key]
    else return undefined
  }
  return current
}

/**
 * @module strategy/files
 * Users' strategy files: `--strategy` takes a built-in name, a path to a `.ts`/`.js` file, or a name found
 * in the strategies directory (`./strategies` by default: NAME.ts, NAME.mts, NAME.js, NAME.mjs). TypeScript
 * is loaded without a build step through tsx; `import … from 'sofia'` resolves to Sofia's SDK wherever the
 * file lives. A file that does not load gives one line naming file:line (InputError, exit 2).
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { register } from 'node:module'
import { extname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InputError } from '../model/index.js'
import { isUserStrategy } from './define.js'
import { STRATEGIES, findStrategy, registerStrategy } from './registry.js'
import type { StrategyDefinition } from './strategy.js'

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const

/** Where `--strategy NAME` looks for NAME.ts (and the others) when NAME is not a built-in. */
export const DEFAULT_STRATEGY_DIR = 'strategies'

/** The strategy files in `dir` (absolute paths, in name order): code files that are not tests or declarations. */
export function strategyFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .filter((entry) => (EXTENSIONS as readonly string[]).includes(extname(entry)) && !/\.test\.|\.d\.ts$/.test(entry))
    .map((entry) => join(dir, entry))
}

/** Whether a `--strategy` value names a file (a path, or a name with a code extension) rather than a strategy. */
export function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || (EXTENSIONS as readonly string[]).includes(extname(spec))
}

/**
 * The strategy name `spec` stands for, loading and registering a user's file when it names one. Built-in
 * names stay as they are. Throws InputError (one line) for an unknown name or a file that does not load.
 */
export async function resolveStrategy(spec: string, options: { cwd?: string; dir?: string } = {}): Promise<string> {
  if (STRATEGIES.some((s) => s.name === spec)) return spec
  const cwd = options.cwd ?? process.cwd()
  let file: string | undefined
  if (looksLikePath(spec)) {
    file = isAbsolute(spec) ? spec : resolve(cwd, spec)
    if (!existsSync(file) || !statSync(file).isFile()) throw new InputError(`${spec}: strategy file not found`)
  } else {
    const dir = resolve(cwd, options.dir ?? DEFAULT_STRATEGY_DIR)
    file = EXTENSIONS.map((ext) => join(dir, spec + ext)).find((f) => existsSync(f))
    if (file === undefined) {
      try {
        findStrategy(spec) // loaded earlier in this process
        return spec
      } catch {
        throw new InputError(
          `unknown strategy '${spec}' (built-in: ${STRATEGIES.map((s) => s.name).join(', ')}; no ${shownPath(join(dir, spec), cwd)}.ts or .js; or give a file path)`,
        )
      }
    }
  }
  const definition = await loadStrategyFile(file)
  registerStrategy(definition, file)
  return definition.name
}

/** Resolves every `--strategy` value (see `resolveStrategy`), in order. */
export async function resolveStrategies(specs: readonly string[], options: { cwd?: string; dir?: string } = {}): Promise<string[]> {
  const out: string[] = []
  for (const spec of specs) out.push(await resolveStrategy(spec, options))
  return out
}

let hooked = false

/** Installs (once) tsx's loader and the resolution of `'sofia'` to this package's SDK. */
async function installHooks(): Promise<void> {
  if (hooked) return
  hooked = true
  const tsx = await import('tsx/esm/api')
  tsx.register()
  const built = new URL('../sdk.js', import.meta.url)
  const sdk = existsSync(fileURLToPath(built)) ? built.href : new URL('../sdk.ts', import.meta.url).href
  // Strategy code is ES modules (it imports from 'sofia'): a .ts file outside node_modules loads as one even
  // where no package.json says "type": "module" (a file in /tmp, a home directory).
  const hook =
    `export async function resolve(specifier, context, next) {\n` +
    `  if (specifier === 'sofia') return { url: ${JSON.stringify(sdk)}, shortCircuit: true, format: 'module' }\n` +
    `  const r = await next(specifier, context)\n` +
    `  if (/\\.(ts|mts|tsx)$/.test(new URL(r.url).pathname) && !r.url.includes('/node_modules/') && r.format !== 'module') return { ...r, format: 'module' }\n` +
    `  return r\n` +
    `}\n`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
}

/** Loads a strategy file and returns its default export, checked to be `defineStrategy(…)`. */
export async function loadStrategyFile(file: string): Promise<StrategyDefinition> {
  await installHooks()
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    throw new InputError(loadError(file, error), { cause: error })
  }
  // A file tsx compiled as CommonJS arrives wrapped once more.
  let value: unknown = mod['default']
  if (!isUserStrategy(value) && typeof value === 'object' && value !== null && isUserStrategy((value as Record<string, unknown>)['default'])) {
    value = (value as Record<string, unknown>)['default']
  }
  if (!isUserStrategy(value)) {
    throw new InputError(`${file}: the default export is not a strategy: write \`export default defineStrategy({ name, params, create })\` with defineStrategy from 'sofia'`)
  }
  return value
}

/** One line for a file that did not load: file:line and what went wrong. */
export function loadError(file: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  // esbuild (through tsx): "…/s.ts:3:10: ERROR: Expected ";" but found "x""
  const syntax = /([^\s:]+):(\d+):(\d+): ERROR: ([^\n]+)/.exec(message)
  if (syntax !== null) return `${file}:${syntax[2]}: syntax error: ${syntax[4]}`
  const name = error instanceof Error ? error.name : 'Error'
  if (name === 'SyntaxError') {
    const at = new RegExp(`${escape(file)}:(\\d+)`).exec(`${message}\n${error instanceof Error ? (error.stack ?? '') : ''}`)
    return `${file}${at !== null ? `:${at[1]}` : ''}: syntax error: ${firstLine(message)}`
  }
  const stack = error instanceof Error ? (error.stack ?? '') : ''
  const at = new RegExp(`(?:file://)?${escape(file)}:(\\d+)`).exec(stack)
  const code = (error as { code?: unknown }).code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${file}: cannot load: ${firstLine(message)}`
  return `${file}${at !== null ? `:${at[1]}` : ''}: threw while loading: ${name}: ${firstLine(message)}`
}

/** `path` relative to `cwd` when it is inside it, else as it is. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n')
  return nl === -1 ? text : text.slice(0, nl)
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

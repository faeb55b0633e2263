// The dashboard's type check loads @types/node anyway (through vite's own types), so it would not notice a server
// file it imports reaching Node or a package: this test does. What web/ imports from src/ must reach only files
// that import nothing but each other (relative paths), so that `import type` there is a type and nothing more.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SRC = join(ROOT, 'src')

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]!)
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  )
}

/** A relative specifier as a file: `./x.js` and `./x` are `./x.ts`. */
function fileOf(from: string, spec: string): string {
  return resolve(dirname(from), spec).replace(/\.js$/, '') + '.ts'
}

describe('what the dashboard imports from src/', () => {
  const roots = new Set<string>()
  for (const file of sourceFiles(join(ROOT, 'web', 'src'))) {
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue
      const target = fileOf(file, spec)
      if (target.startsWith(SRC + '/')) roots.add(target)
    }
  }

  it('includes the API wire types', () => {
    expect([...roots].map((f) => relative(ROOT, f))).toContain('src/api/wire.ts')
  })

  it('reaches no Node module and no package, even for a type', () => {
    const seen = new Set<string>()
    const outside: string[] = []
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const spec of specifiers(file)) {
        if (spec.startsWith('.')) visit(fileOf(file, spec))
        else outside.push(`${relative(ROOT, file)} imports ${spec}`)
      }
    }
    for (const root of roots) visit(root)
    expect(outside).toEqual([])
  })
})

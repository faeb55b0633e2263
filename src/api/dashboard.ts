/**
 * @module api/dashboard
 * Serves the operator dashboard (the Vite build in web/dist) from the API's own origin: `/` is index.html,
 * `/assets/*` the hashed bundles (cached for a year). Open routes: the page holds no data; it asks for a token
 * and talks to the API like any client. Without a build, `/` says how to make one.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** The page may load only its own scripts and talk only to its own origin. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** web/dist of this checkout, from src/api (tsx, vitest) or dist/src/api (the build). */
export function defaultDashboardDir(): string {
  const candidates = ['../../web/dist', '../../../web/dist'].map((p) => fileURLToPath(new URL(p, import.meta.url)))
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sofia</title></head>
<body><h1>Sofia operator API</h1>
<p>The dashboard was not built. Run <code>npm run build</code> (it builds web/ into web/dist) and restart <code>sofia serve</code>.</p>
<p>The API itself is up: see <a href="/openapi.json">/openapi.json</a> and <a href="/health">/health</a>.</p>
</body></html>
`

export async function dashboardRoutes(app: FastifyInstance, dir: string): Promise<void> {
  const index = join(dir, 'index.html')
  const built = existsSync(index)
  const html = built ? readFileSync(index, 'utf8') : NOT_BUILT
  app.get('/', { config: { access: 'open' }, schema: { hide: true } }, (_request, reply) =>
    reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html),
  )
  if (built && existsSync(join(dir, 'assets'))) {
    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      index: false,
      list: false,
      dotfiles: 'deny',
      // The build writes .br and .gz beside each bundle (web/vite.config.ts): sent when the browser accepts them.
      preCompressed: true,
      // File names carry a content hash.
      immutable: true,
      maxAge: '365d',
      // Routes without an `access` config skip authentication (auth.ts): the bundles hold no data.
      schemaHide: true,
    })
  }
}

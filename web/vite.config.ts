// The operator dashboard's build: Preact + uPlot into web/dist, served by `sofia serve` at `/`.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'
import type { Plugin } from 'vite'

/**
 * Writes a `.br` and a `.gz` beside each script and stylesheet of the build: `sofia serve` sends them to a
 * browser that accepts them (@fastify/static `preCompressed`), so the bundles go compressed, at no cost per
 * request.
 */
function precompress(): Plugin {
  return {
    name: 'sofia-precompress',
    apply: 'build',
    closeBundle() {
      const dir = join(import.meta.dirname, 'dist', 'assets')
      for (const name of readdirSync(dir).filter((n) => /\.(js|css)$/.test(n))) {
        const bytes = readFileSync(join(dir, name))
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
        writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }))
      }
    },
  }
}

export default defineConfig({
  plugins: [preact(), precompress()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
})

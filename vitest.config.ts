import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The audit signing key the tests' sessions use (never the user's own, under ~/.config/sofia).
    env: { SOFIA_AUDIT_KEY: join(tmpdir(), 'sofia-test-audit-ed25519.pem') },
  },
})

import { describe, expect, it } from 'vitest'
import { DEFAULT_CANARY_CONFIG, stageIndex } from './stages.js'

describe('stageIndex', () => {
  it('accepts the runbook spelling of a stage (canary_1, CANARY-2) as the stage itself', () => {
    expect(stageIndex(DEFAULT_CANARY_CONFIG, 'canary-1')).toBe(1)
    expect(stageIndex(DEFAULT_CANARY_CONFIG, 'canary_1')).toBe(1)
    expect(stageIndex(DEFAULT_CANARY_CONFIG, 'CANARY_2')).toBe(2)
  })

  it('refuses an unknown stage, listing the stages', () => {
    expect(() => stageIndex(DEFAULT_CANARY_CONFIG, 'canary_3')).toThrow("unknown stage 'canary_3' (stages: shadow, canary-1, canary-2, production)")
  })
})

import { describe, expect, it } from 'vitest';
import { attackNames, attackNorms, marginAttacks } from '../../src-preload/contract';
import { attackChoices, isMarginAttack, supportsNorm } from './attacks';

describe('the renderer’s mirror of the contract’s attack tables', () => {
  it('lists the contract’s attacks in its order', () => {
    expect(attackChoices.map((choice) => choice.name)).toEqual([...attackNames]);
  });

  it('gives each attack the contract’s norms', () => {
    for (const choice of attackChoices) expect([...choice.norms]).toEqual([...attackNorms[choice.name]]);
    expect(supportsNorm('deepfool', 'l1')).toBe(false);
    expect(supportsNorm('fmn', 'l1')).toBe(true);
  });

  it('marks the contract’s minimal-norm attacks as margin attacks', () => {
    expect(attackNames.filter(isMarginAttack)).toEqual([...marginAttacks]);
  });
});

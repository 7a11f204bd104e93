import { describe, expect, it } from 'vitest';
import { corruptionFamilies, marginFamilyNames } from '../../src-preload/contract.js';
import { MARGIN_FAMILIES } from '../engine/perturb/families.js';
import { familyList } from './family-options.js';

describe('audit --family', () => {
  it('splits l_p norms (one run each) from the perturbation families, groups expanded', () => {
    expect(familyList('linf,l2,l1,corruptions,spatial')).toEqual({ norms: ['linf', 'l2', 'l1'], perturbations: [...marginFamilyNames] });
    expect(familyList('rotation, jpeg ,jpeg')).toEqual({ norms: [], perturbations: ['jpeg', 'rotation'] });
    expect(familyList('corruptions').perturbations).toEqual(corruptionFamilies);
  });

  it('refuses an unknown family by name', () => {
    expect(() => familyList('linf,fog')).toThrow(/unknown family 'fog'/);
    expect(() => familyList(' , ')).toThrow(/at least one family/);
  });

  it("names the engine's families in the contract, in the same order", () => {
    expect([...marginFamilyNames]).toEqual([...MARGIN_FAMILIES]);
  });
});

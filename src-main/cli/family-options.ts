// `audit --family`: the perturbation families of an audit in one list. The l_p families are the
// minimal-norm attacks at that norm (one run per norm, as a run has one norm); corruptions and
// spatial (or single members of them) are measured in the first of those runs.
import { InvalidArgumentError } from 'commander';
import { corruptionFamilies, marginFamilyNames, spatialFamilies, type AttackNorm, type MarginFamilyName } from '../../src-preload/contract.js';

const NORMS: readonly AttackNorm[] = ['linf', 'l2', 'l1'];

export interface FamilyChoice {
  norms: AttackNorm[];
  perturbations: MarginFamilyName[];
}

export function familyList(value: string): FamilyChoice {
  const names = value.split(',').map((v) => v.trim()).filter(Boolean);
  if (!names.length) throw new InvalidArgumentError('expected at least one family');
  const norms: AttackNorm[] = [];
  const perturbations = new Set<MarginFamilyName>();
  for (const name of names) {
    if ((NORMS as readonly string[]).includes(name)) norms.push(name as AttackNorm);
    else if (name === 'corruptions') corruptionFamilies.forEach((f) => perturbations.add(f));
    else if (name === 'spatial') spatialFamilies.forEach((f) => perturbations.add(f));
    else if ((marginFamilyNames as readonly string[]).includes(name)) perturbations.add(name as MarginFamilyName);
    else throw new InvalidArgumentError(`unknown family '${name}': expected linf, l2, l1, corruptions, spatial or one of ${marginFamilyNames.join(', ')}`);
  }
  return { norms: [...new Set(norms)], perturbations: marginFamilyNames.filter((f) => perturbations.has(f)) };
}

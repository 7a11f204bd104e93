import type { AttackName, AttackNorm } from '../../src-preload/contract';

/**
 * The contract's attack tables, mirrored: importing its values would pull zod into the bundle.
 * The types below fail to compile when the contract gains an attack or a norm that has no entry
 * here, and attacks.spec.ts compares every value with the contract's.
 */
export const attackChoices = [
  {
    name: 'fab',
    label: 'FAB',
    kind: 'margin',
    norms: ['linf', 'l2', 'l1'],
    iterations: 100,
    summary: 'Fast adaptive boundary attack (Croce & Hein 2020): the smallest perturbation it finds is the input margin.',
  },
  {
    name: 'deepfool',
    label: 'DeepFool',
    kind: 'margin',
    norms: ['linf', 'l2'],
    iterations: 50,
    summary: 'Steps to the nearest linearised boundary: fast, a looser upper bound than FAB.',
  },
  {
    name: 'fmn',
    label: 'FMN',
    kind: 'margin',
    norms: ['linf', 'l2', 'l1'],
    iterations: 100,
    summary: 'Fast minimum-norm attack (Pintor et al. 2021): another minimal-norm search, often close to FAB.',
  },
  {
    name: 'apgd-ce',
    label: 'APGD-CE',
    kind: 'fixed',
    norms: ['linf', 'l2'],
    iterations: 100,
    summary: 'Auto-PGD on the cross-entropy loss, at each ε: robust accuracy, no margin.',
  },
  {
    name: 'apgd-t',
    label: 'APGD-T',
    kind: 'fixed',
    norms: ['linf', 'l2'],
    iterations: 100,
    summary: 'Targeted Auto-PGD on the DLR loss, at each ε: robust accuracy, no margin.',
  },
] as const satisfies readonly {
  name: AttackName;
  label: string;
  /** margin: a minimal-norm attack, gives input margins; fixed: a fixed-ε attack, gives robust accuracy. */
  kind: 'margin' | 'fixed';
  norms: readonly AttackNorm[];
  /** The attack's own default number of iterations (DESIGN.md section 5). */
  iterations: number;
  summary: string;
}[];

export type AttackChoice = (typeof attackChoices)[number];

// Fails to compile when the contract gains an attack without a choice here.
type MissingAttack = Exclude<AttackName, AttackChoice['name']>;
export const everyAttackHasAChoice: MissingAttack extends never ? true : never = true;

export const normChoices = [
  { value: 'linf', label: 'ℓ∞', long: 'ℓ∞ (largest change of any pixel value)' },
  { value: 'l2', label: 'ℓ2', long: 'ℓ2 (Euclidean length of the perturbation)' },
  { value: 'l1', label: 'ℓ1', long: 'ℓ1 (sum of absolute changes)' },
] as const satisfies readonly { value: AttackNorm; label: string; long: string }[];

type MissingNorm = Exclude<AttackNorm, (typeof normChoices)[number]['value']>;
export const everyNormHasAChoice: MissingNorm extends never ? true : never = true;

const byName = new Map<AttackName, AttackChoice>(attackChoices.map((choice) => [choice.name, choice]));

export function attackChoice(name: AttackName): AttackChoice {
  return byName.get(name)!;
}

/** 'apgd-ce' -> 'APGD-CE'; an unknown name (a newer project) is shown as stored. */
export function attackLabel(name: AttackName | string): string {
  return byName.get(name as AttackName)?.label ?? name;
}

export function normLabel(norm: AttackNorm): string {
  return normChoices.find((choice) => choice.value === norm)?.label ?? norm;
}

export function supportsNorm(name: AttackName, norm: AttackNorm): boolean {
  return (attackChoice(name).norms as readonly AttackNorm[]).includes(norm);
}

export function isMarginAttack(name: AttackName): boolean {
  return attackChoice(name).kind === 'margin';
}

/** 'DeepFool and APGD-CE' for the attacks that have no version for the norm. */
export function listLabels(names: readonly AttackName[]): string {
  const labels = names.map(attackLabel);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/** The norms an attack has, written out: 'ℓ∞ and ℓ2'. */
export function describeNorms(name: AttackName): string {
  const labels = attackChoice(name).norms.map((norm) => normLabel(norm));
  return labels.length <= 1 ? labels.join('') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/**
 * Common starting budgets (RobustBench: ℓ∞ 8/255, ℓ2 0.5, ℓ1 12 on CIFAR-10); the form swaps them
 * when the norm changes and the field still holds the previous norm's default.
 */
export const defaultEpsilons: Record<AttackNorm, string> = {
  linf: '8/255',
  l2: '0.5',
  l1: '12',
};

/** An ℓ∞ distance in the 8-bit steps auditors think in: 0.03137 -> '8.00/255'. */
export function over255(value: number): string {
  const steps = value * 255;
  return `${steps.toFixed(steps < 10 ? 2 : 1)}/255`;
}

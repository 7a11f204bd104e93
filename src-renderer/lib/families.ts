import { corruptionFamilies, spatialFamilies, type MarginFamilyName } from '../../src-preload/contract';

/** The perturbation families as the run form and the run page name them (engine/perturb's titles). */
export const familyLabels: Readonly<Record<MarginFamilyName, string>> = {
  'gaussian-noise': 'Gaussian noise',
  'shot-noise': 'Shot noise',
  'impulse-noise': 'Impulse noise',
  'gaussian-blur': 'Gaussian blur',
  brightness: 'Brightness',
  contrast: 'Contrast',
  jpeg: 'JPEG compression',
  pixelate: 'Pixelation',
  rotation: 'Rotation',
  translation: 'Translation',
};

export const familyGroups: readonly { title: string; hint: string; families: readonly MarginFamilyName[] }[] = [
  {
    title: 'Corruptions',
    hint: 'CIFAR-10-C / ImageNet-C, on a continuous strength; the noise is seeded by the run’s seed',
    families: corruptionFamilies,
  },
  { title: 'Spatial', hint: 'rotation in degrees (both ways), translation in pixels (eight directions)', families: spatialFamilies },
];

/** A margin on the family's own parameter: "58" (JPEG quality), "12.5°", "3.2 px", "0.081". */
export function formatFamilyParameter(family: MarginFamilyName, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (family === 'rotation') return `${value.toPrecision(3)}°`;
  if (family === 'translation') return `${value.toPrecision(3)} px`;
  if (family === 'jpeg') return `q ${Math.round(value)}`;
  if (family === 'shot-noise') return value >= 100 ? String(Math.round(value)) : value.toPrecision(3);
  return value.toPrecision(3);
}

// The non-adversarial perturbation families a run can measure margins in (DESIGN.md section 5):
// each corruption on its own strength scale, rotation in degrees and translation in pixels. A
// family knows its search range, how to render a sample at a strength in one of its directions,
// and where the benchmarks' five severities sit on its scale.
import { CORRUPTION_TABLE, CORRUPTIONS, severityStrengths, type CorruptionName, type ImageShape } from './corruptions.js';
import { searchGrid, type FlipSearch } from './flip-search.js';
import type { NoiseField } from './noise.js';
import { rotate, SHIFT_DIRECTIONS, translate } from './spatial.js';

export const SPATIAL_FAMILIES = ['rotation', 'translation'] as const;
export type SpatialFamily = (typeof SPATIAL_FAMILIES)[number];
export type MarginFamilyName = CorruptionName | SpatialFamily;
export const MARGIN_FAMILIES: readonly MarginFamilyName[] = [...CORRUPTIONS, ...SPATIAL_FAMILIES];

export interface MarginFamily {
  name: MarginFamilyName;
  title: string;
  /** The unit margins are read in: the family's own parameter ("degrees", "JPEG quality"...). */
  parameter: string;
  parameterOf(strength: number): number;
  /** Directions searched: the margin is the smallest over them (rotation: both ways; translation: eight). */
  directions: number;
  search(shape: ImageShape): FlipSearch;
  render(image: Float32Array, shape: ImageShape, strength: number, direction: number, noise: NoiseField): Float32Array | Promise<Float32Array>;
  /** The strengths of the five benchmark severities; null for a family without them. */
  severities(shape: ImageShape): number[] | null;
}

/** Grid points before bisection, and bisection rounds: a continuous margin to 1/(16 * 2^10) of the range. */
export const GRID_POINTS = 16;
export const BISECTIONS = 10;

function continuous(max: number): FlipSearch {
  return { grid: Array.from({ length: GRID_POINTS }, (_, i) => ((i + 1) * max) / GRID_POINTS), bisections: BISECTIONS };
}

function corruptionFamily(name: CorruptionName): MarginFamily {
  const c = CORRUPTION_TABLE[name];
  return {
    name,
    title: c.title,
    parameter: c.parameter,
    parameterOf: c.parameterOf,
    directions: 1,
    search: (shape) => {
      const levels = c.levels?.(shape);
      return levels ? { grid: searchGrid(levels, GRID_POINTS), levels, bisections: 0 } : continuous(c.maxStrength(shape));
    },
    render: (image, shape, strength, _direction, noise) => c.apply(image, shape, strength, noise),
    severities: (shape) => severityStrengths(c, shape),
  };
}

const rotation: MarginFamily = {
  name: 'rotation',
  title: 'Rotation',
  parameter: 'degrees',
  parameterOf: (s) => s,
  directions: 2,
  search: () => continuous(180),
  render: (image, shape, strength, direction) => rotate(image, shape, direction === 0 ? strength : -strength),
  severities: () => null,
};

/** Up to half the image's larger side: beyond it most of the image has left the frame. */
const translation: MarginFamily = {
  name: 'translation',
  title: 'Translation',
  parameter: 'pixels',
  parameterOf: (s) => s,
  directions: SHIFT_DIRECTIONS.length,
  search: (shape) => continuous(Math.max(shape.height, shape.width) / 2),
  render: (image, shape, strength, direction) => {
    const [ux, uy] = SHIFT_DIRECTIONS[direction];
    return translate(image, shape, strength * ux, strength * uy);
  },
  severities: () => null,
};

export const FAMILY_TABLE: Readonly<Record<MarginFamilyName, MarginFamily>> = {
  ...(Object.fromEntries(CORRUPTIONS.map((name) => [name, corruptionFamily(name)])) as Record<CorruptionName, MarginFamily>),
  rotation,
  translation,
};

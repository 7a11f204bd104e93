// A run's perturbation families, analysed from its stored rows (DESIGN.md section 5, issue 14):
// per family, how many samples it changed, the median margin, the logit margin's consistency
// with it and its detection of samples the family changes at a threshold, robust accuracy
// against strength, and for the corruptions the benchmark's accuracy table.
import type { FamilyAnalysis, MarginFamilyName, RunFamilies } from '../../src-preload/contract.js';
import { severityTable } from '../engine/perturb/corruptions.js';
import { FAMILY_TABLE } from '../engine/perturb/families.js';
import { auroc, fprAtTprDet, scoreOrder, thresholdCounts } from '../engine/metrics/curves.js';
import { kendallTauB } from '../engine/metrics/rank.js';
import { censoredMedian, linspace } from '../engine/metrics/summary.js';
import type { ProjectStore } from '../store/project-store.js';
import type { MarginColumns } from '../store/run-repo.js';

/** Points of the robust-accuracy curve over a family's range. */
const CURVE_POINTS = 33;

/**
 * The strength at which "changed by the family" counts as brittle for detection: the middle
 * (third) severity of a corruption; for rotation 15 degrees and for translation a tenth of the
 * image's side, the ranges common training augmentations cover (RandomRotation(15),
 * RandomAffine(translate=(0.1, 0.1))).
 */
function detectionThreshold(family: MarginFamilyName, shape: { channels: number; height: number; width: number }): { strength: number; rule: string } {
  const severities = FAMILY_TABLE[family].severities(shape);
  if (severities) return { strength: severities[2], rule: 'the middle of the five severities' };
  if (family === 'rotation') return { strength: 15, rule: 'the ±15° of common rotation augmentation' };
  return { strength: Math.max(shape.height, shape.width) / 10, rule: "a tenth of the image's side, as common translation augmentation" };
}

function analyseFamily(
  family: MarginFamilyName,
  rows: { position: number; strength: number | null; severityPredictions: number[] | null }[],
  c: MarginColumns,
  shape: { channels: number; height: number; width: number },
  labeled: boolean,
): FamilyAnalysis {
  const def = FAMILY_TABLE[family];
  const at = new Map(rows.map((r) => [r.position, r]));
  const n = c.positions.length;
  // Censored margins rank above every found one, as in the attack analysis.
  const margin = Float64Array.from(c.positions, (p) => at.get(p)?.strength ?? Infinity);
  const found = margin.filter(Number.isFinite).length;
  const medianStrength = censoredMedian(margin);

  let tau: number | null = null;
  if (n > 1) {
    const t = kendallTauB(c.logitMargin, margin);
    tau = Number.isFinite(t) ? t : null;
  }

  const threshold = detectionThreshold(family, shape);
  const positives = Uint8Array.from(margin, (m) => (m <= threshold.strength ? 1 : 0));
  const counts = thresholdCounts(scoreOrder(c.logitMargin.map((m) => -m)), positives);
  const oneClass = counts.positives === 0 || counts.negatives === 0;

  const severities = def.severities(shape);
  const table =
    severities && labeled
    ? severities.map((strength, i) => {
        let correct = 0;
        for (let k = 0; k < n; k++) if (at.get(c.positions[k])?.severityPredictions?.[i] === c.labels[k]) correct++;
        return { severity: i + 1, parameter: def.parameterOf(strength), accuracy: n ? correct / n : 0 };
      })
    : null;

  const search = def.search(shape);
  const end = search.levels ? search.levels[search.levels.length - 1] : search.grid[search.grid.length - 1];
  const curve = linspace(0, end, CURVE_POINTS).map((strength) => {
    let alive = 0;
    for (let k = 0; k < n; k++) if ((!labeled || c.correct[k] === 1) && margin[k] > strength) alive++;
    return { strength, parameter: def.parameterOf(strength), robustAccuracy: n ? alive / n : 0 };
  });

  return {
    family,
    title: def.title,
    parameter: def.parameter,
    samples: n,
    found,
    censored: n - found,
    medianStrength,
    medianParameter: medianStrength === null ? null : def.parameterOf(medianStrength),
    kendallTau: tau,
    detection: {
      threshold: threshold.strength,
      thresholdParameter: def.parameterOf(threshold.strength),
      rule: threshold.rule,
      positives: counts.positives,
      negatives: counts.negatives,
      auroc: oneClass ? null : auroc(counts),
      fprAt95Tpr: oneClass ? null : (fprAtTprDet(counts, 0.95)?.fpr ?? null),
    },
    severities: table,
    curve,
  };
}

export function runFamilies(store: ProjectStore, id: string): RunFamilies | null {
  const config = store.runs.config(id);
  if (!config.perturbations) return null;
  const dataset = store.datasets.get(config.datasetId);
  const shape = { channels: dataset.shape[0], height: dataset.shape[1], width: dataset.shape[2] };
  const c = store.runs.marginColumns(id);
  const stored = store.runs.familyMargins(id);
  const labeled = dataset.labeled;
  const families = config.perturbations.families.map((family) => analyseFamily(family, stored.get(family) ?? [], c, shape, labeled));
  const cells = families.flatMap((f) => f.severities ?? []);
  const correct = c.correct.reduce((s, v) => s + v, 0);
  return {
    labeled,
    cleanAccuracy: labeled && c.positions.length ? correct / c.positions.length : null,
    severityTable: severityTable(shape) === 'cifar' ? 'CIFAR-10-C' : 'ImageNet-C',
    families,
    meanCorruptionAccuracy: cells.length ? cells.reduce((s, v) => s + v.accuracy, 0) / cells.length : null,
  };
}

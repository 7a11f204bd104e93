import { attackNorms, type DatasetDetail, type ModelDetail, type RunConfig, type RunWarning } from '../../src-preload/contract.js';
import { epsilonWarning } from './epsilon-sanity.js';

/** Everything that would make a run fail at its first batch, in words an auditor can act on. */
export function runProblems(model: ModelDetail, dataset: DatasetDetail, config: RunConfig): string[] {
  const problems: string[] = [];
  // The image input as Brink reads it (model.reading): its layout is NCHW once fed, and a batch
  // size the file fixes is run as such (every job goes batch by batch at that size).
  const reading = model.reading;
  const input = model.inputs.find((v) => v.name === reading.imageInput);
  const output = model.outputs[0];
  if (reading.problem) return [reading.problem];
  if (!input || !output) return ['the model has no input or no output'];
  if (input.elemType !== 'float32') problems.push(`the model's input is ${input.elemType}; Brink feeds float32 pixels`);
  const shape = reading.feedShape;
  const [c, h, w] = dataset.shape;
  if (!shape || shape.length !== 4) {
    problems.push(`the model's input has shape ${shape ? `[${shape.join(', ')}]` : 'unknown'}; Brink expects images as [batch, channels, height, width]`);
  } else {
    const [, mc, mh, mw] = shape;
    if (typeof mc === 'number' && mc !== c) {
      const other = reading.layout === 'NCHW' && typeof shape[3] === 'number' && shape[3] === c ? ' (the model may take NHWC images: set its layout on the model page)' : '';
      problems.push(`the model takes ${mc} channel(s) but the dataset has ${c}${other}`);
    }
    if ((typeof mh === 'number' && mh !== h) || (typeof mw === 'number' && mw !== w)) {
      problems.push(`the model takes ${mh}×${mw} images but the dataset's are ${h}×${w}`);
    }
  }
  const classes = model.classCount;
  if (typeof classes === 'number' && dataset.classCounts.length > classes) {
    problems.push(`the dataset has labels up to ${dataset.classCounts.length - 1} but the model has only ${classes} classes`);
  }
  if (model.labels && typeof classes === 'number' && model.labels.length !== classes) {
    problems.push(`the model has ${classes} classes but ${model.labels.length} class labels`);
  }
  if (model.labels && dataset.classNames && model.labels.length !== dataset.classNames.length) {
    problems.push(`the dataset names ${dataset.classNames.length} classes but the model has ${model.labels.length} labels; a label index cannot mean the same class in both`);
  }
  if (config.subset.mode !== 'all' && config.subset.count > dataset.count) {
    problems.push(`the dataset has ${dataset.count} samples; a subset of ${config.subset.count} is too large`);
  }
  const attack = config.attack;
  if (attack) {
    if (model.analysis && !model.analysis.differentiable) {
      problems.push(`attacks need gradients, and this model has ops without a gradient rule (${model.analysis.unsupported.map((u) => u.op).join(', ')})`);
    }
    for (const name of attack.attacks) {
      if (!attackNorms[name].includes(attack.norm)) problems.push(`${name} does not support the ${attack.norm} norm (it supports ${attackNorms[name].join(', ')})`);
    }
    // Minimal-norm attacks measure the margin from the model's prediction and need no label; APGD
    // attacks the label to give robust accuracy, which an unlabeled dataset cannot have.
    const fixed = attack.attacks.filter((a) => a === 'apgd-ce' || a === 'apgd-t');
    if (!dataset.labeled && fixed.length) {
      problems.push(`${fixed.join(' and ')} measure robust accuracy against the labels, and ${dataset.name} is unlabeled; use FAB, DeepFool or FMN, which measure each margin from the model's prediction`);
    }
    if (fixed.length && attack.epsilons.length === 0) {
      problems.push('APGD attacks at a fixed epsilon need at least one epsilon');
    }
    if (attack.targeted !== null && typeof classes === 'number' && attack.targeted >= classes) {
      problems.push(`targeted attacks can aim at most at the ${classes - 1} other classes`);
    }
  }
  const lipschitz = config.lipschitz;
  if (lipschitz) {
    if (model.analysis && !model.analysis.differentiable) problems.push('the Lipschitz estimate needs gradients, and this model has ops without a gradient rule');
    if (attack && attack.norm !== lipschitz.norm) problems.push(`the Lipschitz estimate runs in the attacks' norm (${attack.norm}), not ${lipschitz.norm}, so that the two margins bracket one distance`);
  }
  return problems;
}

/** What the auditor should see before the run starts but may know better about (see RunWarning). */
export function runWarnings(model: ModelDetail, dataset: DatasetDetail, config: RunConfig): RunWarning[] {
  const warnings: RunWarning[] = [];
  if (!model.preprocessingConfirmed) {
    const p = model.preprocessing;
    warnings.push({
      kind: 'preprocessing',
      message: `the model's preprocessing is unconfirmed: Brink assumed inputs in [${p.valueRange.join(', ')}] with mean ${p.mean.join(', ')} and std ${p.std.join(', ')}; wrong values give wrong accuracy and margins, so confirm or test them on the model's page`,
      needsConfirmation: false,
      suggestion: null,
    });
  }
  const labels = labelMismatch(dataset.classNames, model.labels);
  if (labels) warnings.push({ kind: 'labels', message: labels, needsConfirmation: false, suggestion: null });
  const epsilons = config.attack ? epsilonWarning(config.attack.epsilons, config.attack.norm, dataset.shape) : null;
  if (epsilons) warnings.push(epsilons);
  warnings.push(...readingWarnings(model, config));
  return warnings;
}

/**
 * When the dataset's class names and the model's labels both exist, have the same count and
 * differ (names compared without case or surrounding spaces): a line saying how. Runs compare
 * label indices, so a different order silently scores the wrong classes as correct.
 */
export function labelMismatch(datasetNames: string[] | null, modelLabels: string[] | null): string | null {
  if (!datasetNames || !modelLabels || datasetNames.length !== modelLabels.length) return null;
  const norm = (name: string) => name.trim().toLowerCase();
  const differing = datasetNames.map((_, k) => k).filter((k) => norm(datasetNames[k]) !== norm(modelLabels[k]));
  if (differing.length === 0) return null;
  const examples = differing
    .slice(0, 3)
    .map((k) => `${k}: “${datasetNames[k]}” / “${modelLabels[k]}”`)
    .join(', ');
  const more = differing.length > 3 ? `, and ${differing.length - 3} more` : '';
  const sameNames = [...datasetNames].map(norm).sort().join('\n') === [...modelLabels].map(norm).sort().join('\n');
  const moved = differing.some((k) => modelLabels.some((label) => norm(label) === norm(datasetNames[k])));
  const how = sameNames ? 'the same names in a different order' : moved ? 'partly the same names in a different order' : 'different names';
  return `the dataset's class names and the model's labels are ${how} (dataset / model at ${examples}${more}); Brink compares label indices, so check that index k is the same class in both`;
}

/** Attacks on a model with zero-gradient ops, and margins read from probabilities: runs that can go, but whose numbers mislead. */
function readingWarnings(model: ModelDetail, config: RunConfig): RunWarning[] {
  const warnings: RunWarning[] = [];
  const zero = model.analysis?.zeroGradientOps ?? [];
  if (config.attack && zero.length > 0) {
    warnings.push({
      kind: 'gradients',
      message: `the model is differentiable, but its gradient is zero almost everywhere (${zero.map((z) => z.op).join(', ')} between the input and the logits): attacks cannot be trusted on it, and robust accuracy will look too high`,
      needsConfirmation: false,
      suggestion: null,
    });
  }
  const softmax = model.reading.softmax;
  if (softmax && model.reading.logits === 'output') {
    warnings.push({
      kind: 'logits',
      message: `the model's output is the ${softmax.op} of its logits, and Brink is set to read that output: logit margins will be ${softmax.op === 'Softmax' ? 'probability' : 'log-probability'} differences; read the logits before the ${softmax.op} on the model page`,
      needsConfirmation: false,
      suggestion: null,
    });
  }
  return warnings;
}

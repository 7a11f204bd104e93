import { attackNorms, type DatasetDetail, type ModelDetail, type RunConfig } from '../../src-preload/contract.js';

/** Everything that would make a run fail at its first batch, in words an auditor can act on. */
export function runProblems(model: ModelDetail, dataset: DatasetDetail, config: RunConfig): string[] {
  const problems: string[] = [];
  const input = model.inputs[0];
  const output = model.outputs[0];
  if (!input || !output) return ['the model has no input or no output'];
  if (input.elemType !== 'float32') problems.push(`the model's input is ${input.elemType}; Brink feeds float32 pixels`);
  const shape = input.shape;
  const [c, h, w] = dataset.shape;
  if (!shape || shape.length !== 4) {
    problems.push(`the model's input has shape ${shape ? `[${shape.join(', ')}]` : 'unknown'}; Brink expects images as [batch, channels, height, width]`);
  } else {
    const [batch, mc, mh, mw] = shape;
    if (typeof mc === 'number' && mc !== c) problems.push(`the model takes ${mc} channel(s) but the dataset has ${c}`);
    if ((typeof mh === 'number' && mh !== h) || (typeof mw === 'number' && mw !== w)) {
      problems.push(`the model takes ${mh}×${mw} images but the dataset's are ${h}×${w}`);
    }
    if (typeof batch === 'number' && batch !== config.batchSize) problems.push(`the model has a fixed batch of ${batch}; set the batch size to ${batch}`);
  }
  const classes = output.shape?.[output.shape.length - 1];
  if (typeof classes === 'number' && dataset.classCounts.length > classes) {
    problems.push(`the dataset has labels up to ${dataset.classCounts.length - 1} but the model has only ${classes} classes`);
  }
  if (model.labels && typeof classes === 'number' && model.labels.length !== classes) {
    problems.push(`the model has ${classes} classes but ${model.labels.length} class labels`);
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
    if (attack.attacks.some((a) => a === 'apgd-ce' || a === 'apgd-t') && attack.epsilons.length === 0) {
      problems.push('APGD attacks at a fixed epsilon need at least one epsilon');
    }
    if (attack.targeted !== null && typeof classes === 'number' && attack.targeted >= classes) {
      problems.push(`targeted attacks can aim at most at the ${classes - 1} other classes`);
    }
  }
  return problems;
}

/** Every gradient rule, by op family. A new family is one more file and one more spread here. */
import { activations } from './activations.js';
import { convAndPooling } from './conv.js';
import { elementwise } from './elementwise.js';
import { linearAlgebra } from './linalg.js';
import { noGradientOps } from './no-gradient.js';
import { normalization } from './normalization.js';
import type { RuleTable } from './rule.js';
import { shapeMovers } from './shape.js';
import { tensors } from './tensors.js';

const FAMILIES: RuleTable[] = [elementwise, convAndPooling, linearAlgebra, shapeMovers, normalization, activations, tensors, noGradientOps];

export const RULES: RuleTable = Object.freeze(
  FAMILIES.reduce<RuleTable>((all, family) => {
    for (const op of Object.keys(family)) if (Object.hasOwn(all, op)) throw new Error(`two gradient rules for ${op}`);
    return { ...all, ...family };
  }, {}),
);

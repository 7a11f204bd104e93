import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DifferentiableModel } from '../engine/attacks/model.js';
import { constantClassifier, linearClassifier, linearLogits, linearMargins, linearModel, linearSamples } from '../engine/attacks/test-models.js';
import { marginGradientNorms } from './reliability-probes.js';

describe('marginGradientNorms', () => {
  const lin = linearClassifier({ classes: 5, seed: 'probe' });
  const features = lin.weights.length / lin.classes;
  let model: DifferentiableModel & { release(): Promise<void> };
  let constant: DifferentiableModel & { release(): Promise<void> };
  beforeAll(async () => {
    model = await linearModel(lin);
    constant = await linearModel(constantClassifier(5));
  });
  afterAll(async () => {
    await model.release();
    await constant.release();
  });

  it('gives ||w_pred - w_second|| in the dual norm of each norm for a linear classifier', async () => {
    const { x } = linearSamples(lin, 'l2', 6, { seed: 'probe samples' });
    const logits = Float32Array.from(linearLogits(lin, x, 6));
    const expected = (norm: 'l1' | 'l2' | 'linf') =>
      linearMargins(lin, x, 6, 'l2').map(({ prediction: i, runnerUp: j }) => {
        const d = Array.from({ length: features }, (_, k) => Math.abs(lin.weights[i * features + k] - lin.weights[j * features + k]));
        return norm === 'l1' ? d.reduce((a, b) => a + b, 0) : norm === 'l2' ? Math.hypot(...d) : Math.max(...d);
      });
    // l_inf attacks are bounded by the l1 norm of the gradient, l2 by l2, l1 by l_inf (Hölder).
    expect(Array.from(await marginGradientNorms(model, x, 6, logits, 'linf'))).toEqual(expected('l1').map((v) => expect.closeTo(v, 4)));
    expect(Array.from(await marginGradientNorms(model, x, 6, logits, 'l2'))).toEqual(expected('l2').map((v) => expect.closeTo(v, 4)));
    expect(Array.from(await marginGradientNorms(model, x, 6, logits, 'l1'))).toEqual(expected('linf').map((v) => expect.closeTo(v, 4)));
  });

  it('gives exactly 0 where the logits do not depend on the input', async () => {
    const x = new Float32Array(3 * features).fill(0.5);
    const logits = await constant.logits(x, 3);
    expect(Array.from(await marginGradientNorms(constant, x, 3, logits, 'linf'))).toEqual([0, 0, 0]);
  });
});

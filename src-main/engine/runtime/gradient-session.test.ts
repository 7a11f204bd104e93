import { describe, expect, it } from 'vitest';
import { GradientError } from '../autodiff/backward.js';
import { readModel } from '../onnx/codec.js';
import { encode, model, node, valueInfo } from '../onnx/fixtures/models.js';
import { createGradientSession } from './gradient-session.js';

describe('createGradientSession', () => {
  it('fails as a GradientError, not as a provider failure, when the graph cannot be built for the provider', async () => {
    // TopK's gradient has no rule, so no provider's gradient graph can be built.
    const bytes = encode(
      model({
        name: 'topk',
        input: [valueInfo('x', ['batch', 4])],
        output: [valueInfo('y', ['batch', 2])],
        initializer: [{ name: 'k', dims: [1], dataType: 7, int64Data: [2] }],
        node: [node('TopK', ['x', 'k'], ['y', 'i'])],
      }),
    );
    await expect(createGradientSession(readModel(bytes), { sampleShape: [4], device: 'cpu' })).rejects.toBeInstanceOf(GradientError);
  });
});

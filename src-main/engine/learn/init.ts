import { mulberry32 } from '../random.js';
import type { Layer, LayerWeights } from './network.js';

/**
 * PyTorch's default nn.Linear initialisation, seeded: kaiming_uniform_(a = sqrt(5)) on the
 * weight is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias takes the same bound. The draws
 * come from mulberry32, so they are Brink's own (not torch.manual_seed's), the same on every
 * machine for a given seed.
 */
export function initialWeights(layers: Layer[], seed: number): LayerWeights[] {
  const uniform = mulberry32(seed);
  return layers.map((layer) => {
    const bound = 1 / Math.sqrt(layer.inputs);
    const draw = (count: number) => Float32Array.from({ length: count }, () => (2 * uniform() - 1) * bound);
    return { weight: draw(layer.outputs * layer.inputs), bias: draw(layer.outputs) };
  });
}

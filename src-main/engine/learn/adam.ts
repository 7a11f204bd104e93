/**
 * Adam (Kingma and Ba 2015) in the form of PyTorch's torch.optim.Adam (single-tensor path,
 * no weight decay, no amsgrad): m <- m + (g - m)(1 - beta1), v <- beta2 v + (1 - beta2) g^2,
 * p <- p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps). Moments are kept in
 * float32 like PyTorch's, so that the trajectories agree to float rounding.
 */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** The authors' optimiser: Adam(lr=1e-4) with PyTorch's default betas and eps. */
export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class Adam {
  private step = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    private readonly parameters: Float32Array[],
    private readonly options: AdamOptions = ADAM_DEFAULTS,
  ) {
    this.m = parameters.map((p) => new Float32Array(p.length));
    this.v = parameters.map((p) => new Float32Array(p.length));
  }

  /** Updates every parameter in place from its gradient (same order, same lengths). */
  update(gradients: ArrayLike<number>[]): void {
    if (gradients.length !== this.parameters.length) throw new RangeError(`Adam: ${gradients.length} gradients for ${this.parameters.length} parameters`);
    const { lr, beta1, beta2, eps } = this.options;
    this.step++;
    const stepSize = lr / (1 - beta1 ** this.step);
    const correction2 = Math.sqrt(1 - beta2 ** this.step);
    this.parameters.forEach((p, i) => {
      const g = gradients[i];
      if (g.length !== p.length) throw new RangeError(`Adam: gradient ${i} has ${g.length} values for ${p.length} parameters`);
      const m = this.m[i];
      const v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] += (g[j] - m[j]) * (1 - beta1);
        v[j] = v[j] * beta2 + (1 - beta2) * g[j] * g[j];
        p[j] -= (stepSize * m[j]) / (Math.sqrt(v[j]) / correction2 + eps);
      }
    });
  }
}

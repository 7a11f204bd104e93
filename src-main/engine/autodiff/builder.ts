/**
 * What gradient rules write with: emits backward nodes into the graph in the form the model's
 * opset requires (axes, pads, starts as inputs or attributes), makes constants, and answers
 * shape questions from the probed shape map.
 */
import { attr, constantTensor, DataType, freshName, type Attribute, type Dim, type Graph, type Node } from '../onnx/graph.js';
import type { ShapeMap } from '../onnx/shapes.js';
import { floatTensor, floatValues, int64Tensor, intValues } from '../onnx/tensor.js';

/** A graph edit that cannot be done, with the tensor or node it is about. */
export class GradientError extends Error {
  override name = 'GradientError';
}

/**
 * The execution provider the gradient graph is built for: a few backward forms are fastest on
 * onnxruntime's CPU kernels but have no kernel on a GPU provider (MaxUnpool on CUDA and WebGPU),
 * or fail there at run time (MaxPool's Indices output on WebGPU), so rules choose per provider.
 */
export type GradientTarget = 'cpu' | 'cuda' | 'webgpu';
export const GRADIENT_TARGETS: readonly GradientTarget[] = ['cpu', 'cuda', 'webgpu'];

/** Where a forward value keeps its samples: `axis` holds `per` entries per sample (1, or the tokens of a [batch * tokens, ...] layout). */
export interface BatchAxis {
  axis: number;
  per: number;
}

/**
 * Jacobian mode: `rows` cotangents per sample share one forward pass. Backward tensors hold
 * rows * batch rows (sample-major), and each forward value a backward node reads is repeated
 * `rows` times at that point. `batched`: the forward values that hold samples (batchedValues).
 */
export interface RowsPerSample {
  rows: number;
  batched: ReadonlyMap<string, BatchAxis>;
}

export class GradBuilder {
  private readonly constants = new Map<string, string>();
  private readonly shapeNodes = new Map<string, string>();
  private readonly channelScales = new Map<string, { grad: string; scale: string }>();
  private readonly reluMasked = new Set<string>();
  /** Jacobian mode: values with rows * batch rows; flat indices into a batched tensor (per tensor, its per-sample size). */
  private readonly perRow = new Set<string>();
  private readonly flatIndices = new Map<string, { perSample: string; rank: number }>();
  private readonly repeated = new Map<string, string>();
  private count = 0;

  constructor(
    private readonly graph: Graph,
    /** The default-domain opset of the model: every emitted node must be valid in it. */
    readonly opset: number,
    private readonly shapes: ShapeMap,
    private readonly activeValues: ReadonlySet<string>,
    /** TensorProto.DataType of the differentiated input (float32 in practice). */
    readonly floatType: number,
    private readonly taken: Set<string>,
    private readonly rowsPerSample: RowsPerSample | null = null,
    /** The provider that will run the graph: rules emit only ops it has kernels for. */
    readonly target: GradientTarget = 'cpu',
  ) {}

  /** Whether a value depends on the input differentiably (only those receive gradients). */
  active(name: string): boolean {
    return this.activeValues.has(name);
  }

  fresh(hint: string): string {
    return freshName(this.taken, `brink_grad/${hint}`);
  }

  /** Emits a node; returns its outputs. */
  emit(opType: string, inputs: string[], attributes: Attribute[] = [], outputs = 1): string[] {
    return this.rowsPerSample ? this.emitPerRow(this.rowsPerSample, opType, inputs, attributes, outputs) : this.emitAsIs(opType, inputs, attributes, outputs);
  }

  private emitAsIs(opType: string, inputs: string[], attributes: Attribute[] = [], outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(`${opType}_${++this.count}`));
    this.graph.nodes.push({ opType, domain: '', name: names[0], inputs, outputs: names, attributes });
    return names;
  }

  private asIs(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    return this.emitAsIs(opType, inputs, attributes)[0];
  }

  /**
   * Jacobian mode: a node that reads a backward value or a batched forward value runs on
   * rows * batch rows, its batched forward inputs repeated; nodes on constants alone run as they
   * are. Shape and Size of a batched value answer for the repeated tensor without building it.
   */
  private emitPerRow(mode: RowsPerSample, opType: string, inputs: string[], attributes: Attribute[], outputs: number): string[] {
    const batched = (v: string) => mode.batched.has(v) || this.flatIndices.has(v);
    const at = mode.batched.get(inputs[0]);
    if ((opType === 'Shape' || opType === 'Size') && at && attributes.length === 0) {
      const forward = this.asIs(opType, inputs);
      if (opType === 'Size') return [this.backwardValue(this.asIs('Mul', [forward, this.ints([mode.rows], [])]))];
      const scale = Array.from({ length: this.rank(inputs[0]) }, (_, i) => (i === at.axis ? mode.rows : 1));
      return [this.backwardValue(this.asIs('Mul', [forward, this.ints(scale)]))];
    }
    if (!inputs.some((v) => this.perRow.has(v) || batched(v))) return this.emitAsIs(opType, inputs, attributes, outputs);
    const repeated = inputs.map((v) => (v && !this.perRow.has(v) && batched(v) ? this.repeat(mode, v) : v));
    return this.emitAsIs(opType, repeated, attributes, outputs).map((o) => this.backwardValue(o));
  }

  /** Marks a value as holding rows * batch rows (the cotangents, the gradients). */
  backwardValue(name: string): string {
    this.perRow.add(name);
    return name;
  }

  /**
   * A batched forward value with each sample's entries repeated `rows` times, next to each
   * other along its batch axis. Flat indices into a batched tensor (MaxPool's Indices) also move
   * to their copy's place.
   */
  private repeat(mode: RowsPerSample, v: string): string {
    let out = this.repeated.get(v);
    if (out) return out;
    const flat = this.flatIndices.get(v);
    const { axis, per } = mode.batched.get(v) ?? { axis: 0, per: 1 };
    const rank = flat?.rank ?? this.rank(v);
    const shape = this.asIs('Shape', [v]);
    const part = (from: number, to: number) => this.asIs('Slice', [shape, this.ints([from]), this.ints([to]), this.ints([0])]);
    const concat = (parts: string[]) => this.asIs('Concat', parts, [attr.int('axis', 0)]);
    // [..., batch, (per,) ...] -> [..., batch, 1, (per,) ...] -> [..., batch, rows, (per,) ...]
    const split = per === 1 ? v : this.asIs('Reshape', [v, concat([part(0, axis), this.ints([-1, per]), part(axis + 1, Infinity)])]);
    const stacked = this.asIs('Unsqueeze', [split, this.ints([axis + 1])]);
    const spread = [...Array(axis + 1).fill(1), mode.rows, ...Array(rank - axis - (per === 1 ? 1 : 0)).fill(1)];
    let wide = this.asIs('Expand', [stacked, this.ints(spread)]);
    if (flat !== undefined) {
      // Sample b's copy k lands at row b * rows + k: its flat indices move by (b * (rows - 1) + k) samples.
      const batch = this.asIs('Gather', [shape, this.ints([0], [])], [attr.int('axis', 0)]);
      const samples = this.asIs('Range', [this.ints([0], []), batch, this.ints([1], [])]);
      const shift = this.asIs('Add', [this.asIs('Mul', [this.asIs('Unsqueeze', [samples, this.ints([1])]), this.ints([mode.rows - 1])]), this.ints(Array.from({ length: mode.rows }, (_, k) => k), [1, mode.rows])]);
      const offsets = this.asIs('Reshape', [this.asIs('Mul', [shift, flat.perSample]), this.ints([-1, mode.rows, ...Array(rank - 1).fill(1)])]);
      wide = this.asIs('Add', [wide, offsets]);
    }
    out = this.asIs('Reshape', [wide, concat([part(0, axis), this.ints([-1]), part(axis + 1, Infinity)])]);
    this.repeated.set(v, out);
    return out;
  }

  op(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    return this.emit(opType, inputs, attributes)[0];
  }

  // ---- constants ------------------------------------------------------------------------------

  /** A float constant in the input's float type (deduplicated). */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constant(`f${this.floatType}:${dims}:${values}`, (name) => floatTensor(name, dims, values, this.floatType));
  }

  scalar(value: number): string {
    return this.floats([value], []);
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    return this.constant(`i:${dims}:${values}`, (name) => int64Tensor(name, dims, values));
  }

  private constant(key: string, make: (name: string) => ReturnType<typeof floatTensor>): string {
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh('const');
      this.graph.initializers.push(make(name));
      this.constants.set(key, name);
    }
    return name;
  }

  /** The values of a constant (initializer or Constant node); null for '' (an omitted input) or a value computed at run time. */
  constantValues(name: string): number[] | null {
    const t = name ? constantTensor(this.graph, name) : null;
    if (!t) return null;
    const float = t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 || t.dataType === DataType.DOUBLE;
    return float ? Array.from(floatValues(t)) : intValues(t);
  }

  // ---- shapes ---------------------------------------------------------------------------------

  /** The static shape of a forward value; throws when it is unknown. */
  shape(name: string): Dim[] {
    const s = this.shapes.get(name);
    if (!s) throw new GradientError(`the shape of '${name}' is unknown; probe the model's shapes before building its gradient`);
    return s;
  }

  rank(name: string): number {
    return this.shape(name).length;
  }

  /** Dimensions that must be concrete numbers (spatial sizes, channels); throws naming the tensor otherwise. */
  dims(name: string, axes: number[]): number[] {
    const s = this.shape(name);
    return axes.map((a) => {
      const d = s[a < 0 ? a + s.length : a];
      if (typeof d !== 'number') throw new GradientError(`dimension ${a} of '${name}' is not a fixed number (${d}); probe the model's shapes first`);
      return d;
    });
  }

  /** The run-time shape of a forward value (one Shape node per value). */
  shapeOf(name: string): string {
    let s = this.shapeNodes.get(name);
    if (!s) this.shapeNodes.set(name, (s = this.op('Shape', [name])));
    return s;
  }

  /** The run-time size of one axis of a forward value, as a 1-D int64 tensor of one element. */
  dimOf(name: string, axis: number): string {
    return this.op('Gather', [this.shapeOf(name), this.ints([axis])], [attr.int('axis', 0)]);
  }

  zerosLike(name: string): string {
    return this.zeros(this.shapeOf(name));
  }

  zeros(shape: string): string {
    return this.fill(shape, 0);
  }

  /** A tensor of the input's float type filled with `value`; `shape` is a 1-D int64 tensor name. */
  fill(shape: string, value: number): string {
    return this.op('ConstantOfShape', [shape], [attr.tensor('value', floatTensor('', [1], [value], this.floatType))]);
  }

  // ---- ops whose form depends on the opset ---------------------------------------------------

  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: number[], keepdims: boolean): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const keep = attr.int('keepdims', keepdims ? 1 : 0);
    return axesAsInput ? this.op(op, [x, this.ints(axes)], [keep]) : this.op(op, [x], [attr.ints('axes', axes), keep]);
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints(axes)]) : this.op('Unsqueeze', [x], [attr.ints('axes', axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.ints(axes)]) : this.op('Squeeze', [x], [attr.ints('axes', axes)]);
  }

  /** Slice; an end of Infinity means "to the end" (written as INT64_MAX). */
  slice(x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
    if (this.opset >= 10) {
      const inputs = [x, this.ints(starts), this.ints(ends), this.ints(axes)];
      return this.op('Slice', steps ? [...inputs, this.ints(steps)] : inputs);
    }
    if (steps && steps.some((s) => s !== 1)) throw new GradientError(`strided Slice needs opset 10 or later (the model has ${this.opset})`);
    return this.op('Slice', [x], [attr.ints('starts', starts), attr.ints('ends', ends), attr.ints('axes', axes)]);
  }

  /** Pad with [begin..., end...] pads (zeros in constant mode); pads are an input from opset 11. */
  pad(x: string, pads: number[], mode: 'constant' | 'reflect' | 'edge' = 'constant'): string {
    const m = attr.string('mode', mode);
    return this.opset >= 11
      ? this.op('Pad', [x, this.ints(pads)], [m])
      : this.op('Pad', [x], [attr.ints(this.opset >= 2 ? 'pads' : 'paddings', pads), m]);
  }

  /** Split into parts of the given sizes along an axis; the sizes are an input from opset 13. */
  split(x: string, sizes: number[], axis: number): string[] {
    const a = attr.int('axis', axis);
    return this.opset >= 13
      ? this.emit('Split', [x, this.ints(sizes)], [a], sizes.length)
      : this.emit('Split', [x], [a, attr.ints('split', sizes)], sizes.length);
  }

  reshape(x: string, shape: string): string {
    if (this.opset < 5) throw new GradientError(`Reshape with a shape input needs opset 5 or later (the model has ${this.opset})`);
    return this.op('Reshape', [x, shape]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], [attr.ints('perm', perm)]);
  }

  /** ScatterElements (Scatter before opset 11); reduction 'add' exists from opset 16. */
  scatter(data: string, indices: string, updates: string, axis: number, add = false): string {
    const attrs = [attr.int('axis', axis)];
    if (add) {
      if (this.opset < 16) throw new GradientError(`ScatterElements with reduction needs opset 16 (the model has ${this.opset})`);
      attrs.push(attr.string('reduction', 'add'));
    }
    return this.op(this.opset >= 11 ? 'ScatterElements' : 'Scatter', [data, indices, updates], attrs);
  }

  /** A·B (with optional transposes, scaled by alpha) as Gemm; C is required before opset 11. */
  gemm(a: string, b: string, transA: boolean, transB: boolean, alpha: number): string {
    const attrs = [attr.int('transA', transA ? 1 : 0), attr.int('transB', transB ? 1 : 0), attr.float('alpha', alpha)];
    if (this.opset >= 11) return this.op('Gemm', [a, b], attrs);
    return this.op('Gemm', [a, b, this.scalar(0)], [...attrs, attr.float('beta', 0)]);
  }

  // ---- gradient plumbing ------------------------------------------------------------------------

  /**
   * Sums a gradient that has the shape of `reference` (the op's output, or its shape) back to
   * the shape of `target` (one of its inputs) over the axes broadcasting added or stretched.
   */
  unbroadcast(grad: string, target: string, reference: string | Dim[]): string {
    const t = this.shape(target);
    const r = typeof reference === 'string' ? this.shape(reference) : reference;
    const lead = r.length - t.length;
    if (lead < 0) throw new GradientError(`'${target}' has a higher rank than the result it broadcasts into`);
    const axes = Array.from({ length: lead }, (_, i) => i);
    t.forEach((d, i) => d === 1 && r[lead + i] !== 1 && axes.push(lead + i));
    if (axes.length === 0) return grad;
    const summed = this.reduceSum(grad, axes, true);
    return lead === 0 ? summed : this.reshape(summed, this.shapeOf(target));
  }

  /**
   * grad (rank `rank`) times a factor per channel (axis 1; `scale` is 1-D). A backward Conv that
   * reads the product may scale its weights instead (channelScaled): onnxruntime folds that
   * into a constant, and the unused Mul is dropped with the other dead nodes.
   */
  scaleChannels(grad: string, scale: string, rank: number): string {
    const product = this.op('Mul', [grad, this.reshape(scale, this.ints([-1, ...Array(rank - 2).fill(1)]))]);
    this.channelScales.set(product, { grad, scale });
    return product;
  }

  /** The gradient and per-channel factor a scaleChannels product was made of; undefined for any other gradient. */
  channelScaled(grad: string): { grad: string; scale: string } | undefined {
    return this.channelScales.get(grad);
  }

  /**
   * The Relu whose output only `reader` reads, if `value` is that output: a rule may then apply
   * the Relu's mask on a smaller tensor itself (reluApplied) and the Relu passes its gradient on.
   */
  soleReluBefore(value: string, reader: Node): Node | undefined {
    const relu = this.graph.nodes.find((n) => n.outputs[0] === value);
    if (relu?.opType !== 'Relu' || relu.domain) return undefined;
    const readers = this.graph.nodes.filter((n) => n.inputs.includes(value));
    const isOutput = this.graph.outputs.some((o) => o.name === value);
    return readers.length === 1 && readers[0] === reader && !isOutput ? relu : undefined;
  }

  /** Marks a gradient of a Relu's output as already masked by that Relu (see soleReluBefore). */
  reluApplied(grad: string): string {
    this.reluMasked.add(grad);
    return grad;
  }

  hasReluApplied(grad: string): boolean {
    return this.reluMasked.has(grad);
  }

  /** The sum of gradient contributions; null when there are none. */
  sum(terms: string[] | undefined): string | null {
    if (!terms || terms.length === 0) return null;
    if (terms.length === 1) return terms[0];
    return terms.length === 2 ? this.op('Add', terms) : this.op('Sum', terms);
  }

  /**
   * Makes a forward node produce an optional output and returns its name. `flatInto`: the output
   * holds indices into that batched tensor flattened whole (MaxPool's Indices).
   */
  forwardOutput(node: Node, index: number, hint: string, flatInto?: string): string {
    while (node.outputs.length <= index) node.outputs.push('');
    if (!node.outputs[index]) node.outputs[index] = freshName(this.taken, `${node.outputs[0]}_${hint}`);
    const name = node.outputs[index];
    if (this.rowsPerSample && flatInto !== undefined && !this.flatIndices.has(name)) {
      const batch = this.asIs('Gather', [this.asIs('Shape', [flatInto]), this.ints([0])], [attr.int('axis', 0)]);
      this.flatIndices.set(name, { perSample: this.asIs('Div', [this.asIs('Size', [flatInto]), batch]), rank: this.rank(node.outputs[0]) });
    }
    return name;
  }
}

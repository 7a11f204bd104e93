import type { pb } from './proto.js';
import { oneLine } from './errors.js';

/**
 * ONNX's single-assignment rule on the main graph, as onnx.checker states it: every value a
 * node reads is a graph input, an initializer or another node's output, no value is written
 * twice, and every graph output is given by one of them. onnxruntime would refuse such a model
 * only when a run starts; the import says it at once. Subgraphs may read their outer scope,
 * which the runtime checks.
 *
 * Returns the problem in a few words, or null.
 */
export function valueNameProblem(graph: pb.IGraphProto): string | null {
  const given = new Set<string>((graph.input ?? []).map((v) => v.name ?? ''));
  const initializers = new Set<string>();
  for (const t of [...(graph.initializer ?? []), ...(graph.sparseInitializer ?? []).map((s) => s.values ?? {})]) {
    const name = t.name ?? '';
    if (initializers.has(name)) return `initializer '${oneLine(name)}' appears twice`;
    initializers.add(name);
    given.add(name);
  }
  const nodes = graph.node ?? [];
  const writer = new Map<string, number>();
  for (const [i, node] of nodes.entries()) {
    for (const output of node.output ?? []) {
      if (!output) continue;
      if (given.has(output)) return `${describe(node, i)} writes '${oneLine(output)}', which is also a graph input or initializer`;
      const earlier = writer.get(output);
      if (earlier !== undefined) return `'${oneLine(output)}' is written by two nodes (${describe(nodes[earlier], earlier)} and ${describe(node, i)})`;
      writer.set(output, i);
    }
  }
  for (const [i, node] of nodes.entries()) {
    for (const input of node.input ?? []) {
      if (input && !given.has(input) && !writer.has(input)) return `${describe(node, i)} reads '${oneLine(input)}', which no graph input, initializer or node gives`;
    }
  }
  for (const output of graph.output ?? []) {
    const name = output.name ?? '';
    if (!given.has(name) && !writer.has(name)) return `graph output '${oneLine(name)}' is given by no node, input or initializer`;
  }
  return null;
}

function describe(node: pb.INodeProto, index: number): string {
  return `node ${index + 1}${node.name ? ` '${oneLine(node.name)}'` : ''} (${oneLine(node.opType ?? '')})`;
}

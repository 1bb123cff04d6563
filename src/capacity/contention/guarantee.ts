/** A customer's guaranteed rate, shared by the measured and the model analyses. */
import type { Topology, TopoIndex } from '../topology.js';

/** Guaranteed rate: the plan's, else the smallest equal share along the path (C/N at the bottleneck). */
export function guarantee(
  t: Topology,
  ix: TopoIndex,
  leaf: number,
): { g: number; from: 'plan' | 'fair-share'; bottleneck?: string } {
  const node = t.nodes[leaf];
  if (node.guaranteed !== undefined)
    return { g: Math.min(node.guaranteed, node.capacity), from: 'plan' };
  let g = node.capacity,
    b: string | undefined;
  for (let p = ix.parent[leaf]; p >= 0; p = ix.parent[p]) {
    const share = t.nodes[p].capacity / ix.leafCount[p];
    if (share < g) {
      g = share;
      b = t.nodes[p].id;
    }
  }
  return { g, from: 'fair-share', bottleneck: b };
}

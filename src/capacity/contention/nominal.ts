/** Nominal oversubscription per inner link, from the topology alone (no series needed). */
import { type Topology, indexTopology } from '../topology.js';

export interface NominalRow {
  id: string;
  kind: string;
  capacity: number;
  children: number;
  customers: number;
  /** Σ child link rates ÷ own capacity: this tier's own oversubscription. */
  ratio: number;
  /** Σ customer port rates beneath ÷ own capacity: end to end from the customers to this link. */
  endToEnd: number;
  /** With all switch ports in use (ports × portSpeed ÷ capacity), when the switch declares them. */
  fullyPopulated?: number;
  /** Equal share per customer beneath (capacity ÷ customers). */
  fairShare: number;
}

export function nominal(t: Topology, ix = indexTopology(t)): NominalRow[] {
  return [...t.nodes.keys()]
    .filter((i) => ix.children[i].length > 0)
    .map((i) => {
      const x = t.nodes[i];
      const childSum = ix.children[i].reduce((s, c) => s + t.nodes[c].capacity, 0);
      return {
        id: x.id,
        kind: x.kind,
        capacity: x.capacity,
        children: ix.children[i].length,
        customers: ix.leafCount[i],
        ratio: childSum / x.capacity,
        endToEnd: ix.leafPortSum[i] / x.capacity,
        fullyPopulated: x.ports
          ? (x.ports *
              (x.portSpeed ??
                (ix.children[i][0] !== undefined
                  ? t.nodes[ix.children[i][0]].capacity
                  : x.capacity))) /
            x.capacity
          : undefined,
        fairShare: x.capacity / ix.leafCount[i],
      };
    });
}

/**
 * Network topology for the contention analysis: a tree of links. A leaf is a customer/VM whose
 * `capacity` is its port (vNIC) rate; an inner node (host, switch, uplink) has the capacity of its
 * link towards its parent. Two YAML shapes are accepted: a generic `nodes:` list, or the friendly
 * `uplinks/switches/hosts/customers` lists, where `count` replicates an entry (and its children).
 */
import { z } from 'zod';
import { HostopsError } from '../lib/errors.js';
import { parseRate, parseDuration } from './units.js';
import { validate } from './validate.js';

export interface TopoNode {
  id: string;
  kind: string;
  parent?: string;
  /** bit/s: port rate for a customer, uplink rate for a host/switch/uplink. */
  capacity: number;
  /** Guaranteed rate (shaper `rate`), bit/s, if the plan states one. */
  guaranteed?: number;
  /** Series keys for measured traffic (default: the id). */
  series: string[];
  /** On-off model when no series: mean and peak rate (bit/s). */
  mean?: number;
  peak?: number;
  /** Switch ports and port speed, for the fully-populated nominal ratio. */
  ports?: number;
  portSpeed?: number;
}

export interface Topology {
  name: string;
  nodes: TopoNode[];
  /** Grid step for measured series, seconds; default: the data's own step. */
  step?: number;
  /** Busy threshold as a share of capacity (default 0.9). */
  busy: number;
  /** Overflow target for Gaussian sizing (default 0.01). */
  epsilon: number;
}

const rate = z.union([z.number().nonnegative(), z.string()]);
const common = {
  id: z
    .string()
    .min(1)
    .regex(/^[\w.:@/-]+$/, 'use letters, digits and . _ : @ / -'),
  count: z.number().int().positive().max(100000).optional(),
  series: z.union([z.string(), z.array(z.string())]).optional(),
  guaranteed: rate.optional(),
};
const customerS = z
  .object({
    ...common,
    host: z.string().optional(),
    parent: z.string().optional(),
    port: rate.optional(),
    capacity: rate.optional(),
    mean: rate.optional(),
    peak: rate.optional(),
    duty: z.number().min(0).max(1).optional(),
  })
  .strict();
const hostS = z
  .object({
    ...common,
    switch: z.string().optional(),
    parent: z.string().optional(),
    uplink: rate.optional(),
    capacity: rate.optional(),
  })
  .strict();
const switchS = z
  .object({
    ...common,
    parent: z.string().optional(),
    uplink: rate.optional(),
    capacity: rate.optional(),
    ports: z.number().int().positive().optional(),
    portSpeed: rate.optional(),
  })
  .strict();
const uplinkS = z.object({ ...common, parent: z.string().optional(), capacity: rate }).strict();
const nodeS = z
  .object({
    ...common,
    kind: z.string().default('node'),
    parent: z.string().optional(),
    capacity: rate,
    mean: rate.optional(),
    peak: rate.optional(),
    duty: z.number().min(0).max(1).optional(),
    ports: z.number().int().positive().optional(),
    portSpeed: rate.optional(),
  })
  .strict();
export const topologySchema = z
  .object({
    name: z.string().optional(),
    step: z.union([z.number().positive(), z.string()]).optional(),
    busy: z.number().gt(0).lte(1).optional(),
    epsilon: z.number().gt(0).lt(1).optional(),
    uplinks: z.array(uplinkS).optional(),
    switches: z.array(switchS).optional(),
    hosts: z.array(hostS).optional(),
    customers: z.array(customerS).optional(),
    nodes: z.array(nodeS).optional(),
  })
  .strict();

type RawEntry = {
  id: string;
  kind: string;
  parent?: string;
  count?: number;
  capacity?: unknown;
  series?: string | string[];
  guaranteed?: unknown;
  mean?: unknown;
  peak?: unknown;
  duty?: number;
  ports?: number;
  portSpeed?: unknown;
  field: string;
  /** The YAML keys the user wrote for the parent and the capacity (`host`, `port`, `switch`, `uplink` ...), for errors. */
  parentKey?: string;
  capKey?: string;
};

/** Nodes after expanding `count`: nested counts multiply, and past this the input is a mistake, not a plan. */
export const MAX_NODES = 1_000_000;

export function buildTopology(value: unknown, source = 'topology'): Topology {
  const t = validate(topologySchema, value, source);
  const entries: RawEntry[] = [];
  t.uplinks?.forEach((u, i) => entries.push({ ...u, kind: 'uplink', field: `uplinks[${i}]` }));
  t.switches?.forEach((s, i) =>
    entries.push({
      ...s,
      kind: 'switch',
      capacity: s.capacity ?? s.uplink,
      field: `switches[${i}]`,
      capKey: s.capacity === undefined && s.uplink !== undefined ? 'uplink' : 'capacity',
    }),
  );
  t.hosts?.forEach((h, i) =>
    entries.push({
      ...h,
      kind: 'host',
      parent: h.parent ?? h.switch,
      capacity: h.capacity ?? h.uplink,
      field: `hosts[${i}]`,
      parentKey: h.parent === undefined && h.switch !== undefined ? 'switch' : 'parent',
      capKey: h.capacity === undefined && h.uplink !== undefined ? 'uplink' : 'capacity',
    }),
  );
  t.customers?.forEach((c, i) =>
    entries.push({
      ...c,
      kind: 'customer',
      parent: c.parent ?? c.host,
      capacity: c.capacity ?? c.port,
      field: `customers[${i}]`,
      parentKey: c.parent === undefined && c.host !== undefined ? 'host' : 'parent',
      capKey: c.capacity === undefined && c.port !== undefined ? 'port' : 'capacity',
    }),
  );
  t.nodes?.forEach((n, i) => entries.push({ ...n, field: `nodes[${i}]` }));
  if (!entries.length)
    throw new HostopsError(
      'CAPACITY_BAD_CONFIG',
      `Invalid ${source}: no customers, hosts, switches, uplinks or nodes`,
      { where: source },
    );

  // expand `count`: an entry becomes id-1..id-n; children of a replicated parent are replicated under each copy
  const byId = new Map<string, RawEntry>();
  for (const e of entries) {
    if (byId.has(e.id))
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: duplicate id ${JSON.stringify(e.id)}`,
        { where: `${source}: ${e.field}.id` },
      );
    byId.set(e.id, e);
  }
  for (const e of entries) {
    if (e.parent && !byId.has(e.parent))
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: ${e.field}.${e.parentKey ?? 'parent'} names unknown node ${JSON.stringify(e.parent)}`,
        { where: `${source}: ${e.field}.${e.parentKey ?? 'parent'}` },
      );
    if (e.capacity === undefined)
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: ${e.field} needs a capacity (port for a customer, uplink for a host or switch)`,
        { where: `${source}: ${e.field}` },
      );
  }
  const children = new Map<string, RawEntry[]>();
  const roots: RawEntry[] = [];
  for (const e of entries) {
    if (e.parent) {
      const a = children.get(e.parent) ?? [];
      a.push(e);
      children.set(e.parent, a);
    } else roots.push(e);
  }
  const nodes: TopoNode[] = [];
  const seen = new Set<string>();
  const emitted = new Set<RawEntry>();
  const emit = (e: RawEntry, parentId: string | undefined, prefix: string, depth: number) => {
    if (depth > 64)
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: ${e.field} is part of a cycle`,
        { where: `${source}: ${e.field}` },
      );
    emitted.add(e);
    const n = e.count ?? 1;
    for (let k = 1; k <= n; k++) {
      const id = prefix + (n > 1 ? `${e.id}-${k}` : e.id);
      if (seen.has(id))
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: id ${JSON.stringify(id)} occurs twice after expanding count`,
          { where: `${source}: ${e.field}` },
        );
      seen.add(id);
      const capField = `${e.field}.${e.capKey ?? 'capacity'}`;
      const cap = parseRate(e.capacity, `${source}: ${capField}`);
      if (!(cap > 0 && Number.isFinite(cap)))
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: ${capField} must be a finite rate above 0, got ${JSON.stringify(e.capacity)}`,
          { where: `${source}: ${capField}` },
        );
      const peak = e.peak !== undefined ? parseRate(e.peak, `${e.field}.peak`) : undefined;
      let mean = e.mean !== undefined ? parseRate(e.mean, `${e.field}.mean`) : undefined;
      if (mean === undefined && e.duty !== undefined) mean = (peak ?? cap) * e.duty;
      // an on-off source cannot send above its port, nor average above its peak (the model took duty > 1)
      if (peak !== undefined && peak > cap)
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: ${e.field}.peak (${e.peak}) is above its ${e.capKey ?? 'capacity'} (${e.capacity})`,
          { where: `${source}: ${e.field}.peak` },
        );
      if (mean !== undefined && mean > (peak ?? cap))
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: ${e.field}.mean (${e.mean}) is above its ${peak !== undefined ? `peak (${e.peak})` : `${e.capKey ?? 'capacity'} (${e.capacity})`}`,
          { where: `${source}: ${e.field}.mean` },
        );
      const series =
        e.series === undefined
          ? [id]
          : (Array.isArray(e.series) ? e.series : [e.series]).map((s) => (n > 1 ? `${s}-${k}` : s));
      nodes.push({
        id,
        kind: e.kind,
        parent: parentId,
        capacity: cap,
        series,
        guaranteed:
          e.guaranteed !== undefined ? parseRate(e.guaranteed, `${e.field}.guaranteed`) : undefined,
        mean,
        peak,
        ports: e.ports,
        portSpeed:
          e.portSpeed !== undefined ? parseRate(e.portSpeed, `${e.field}.portSpeed`) : undefined,
      });
      const copyPrefix = n > 1 || prefix ? `${id}/` : '';
      for (const c of children.get(e.id) ?? []) emit(c, id, copyPrefix, depth + 1);
    }
  };
  // Size check before expanding anything: nested counts multiply.
  const expanded = (e: RawEntry, depth: number): number => {
    if (depth > 64) return 0; // a cycle; emit() names it
    let sub = 1;
    for (const c of children.get(e.id) ?? []) sub += expanded(c, depth + 1);
    const total = (e.count ?? 1) * sub;
    if (total > MAX_NODES) {
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: more than ${MAX_NODES} links after expanding count (nested counts multiply; ${e.field} alone expands to ${total})`,
        { where: `${source}: ${e.field}` },
      );
    }
    return total;
  };
  let total = 0;
  for (const r of roots) total += expanded(r, 0);
  if (total > MAX_NODES)
    throw new HostopsError(
      'CAPACITY_BAD_CONFIG',
      `Invalid ${source}: more than ${MAX_NODES} links after expanding count`,
      { where: source },
    );
  for (const r of roots) emit(r, undefined, '', 0);
  if (emitted.size < entries.length) {
    const cyc = entries.find((e) => !emitted.has(e));
    throw new HostopsError(
      'CAPACITY_BAD_CONFIG',
      `Invalid ${source}: ${cyc?.field ?? 'a node'} is not reachable from a root (cycle?)`,
      { where: source },
    );
  }
  return {
    name: t.name ?? source,
    nodes,
    step: t.step !== undefined ? parseDuration(t.step, 'step') : undefined,
    busy: t.busy ?? 0.9,
    epsilon: t.epsilon ?? 0.01,
  };
}

/** Index of a topology: children lists, leaves, depth order. */
export interface TopoIndex {
  byId: Map<string, number>;
  children: number[][];
  parent: Int32Array;
  leaves: number[];
  /** Inner nodes, deepest first (for bottom-up sums). */
  innerBottomUp: number[];
  leafCount: Int32Array;
  leafPortSum: Float64Array;
}

export function indexTopology(t: Topology): TopoIndex {
  const n = t.nodes.length;
  const byId = new Map<string, number>();
  t.nodes.forEach((x, i) => byId.set(x.id, i));
  const parent = new Int32Array(n).fill(-1);
  const children: number[][] = t.nodes.map(() => []);
  t.nodes.forEach((x, i) => {
    if (x.parent !== undefined) {
      const p = byId.get(x.parent)!;
      parent[i] = p;
      children[p].push(i);
    }
  });
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0,
      p = parent[i];
    while (p >= 0) {
      d++;
      p = parent[p];
    }
    depth[i] = d;
  }
  const leaves = [...Array(n).keys()].filter((i) => children[i].length === 0);
  const innerBottomUp = [...Array(n).keys()]
    .filter((i) => children[i].length > 0)
    .sort((a, b) => depth[b] - depth[a]);
  const leafCount = new Int32Array(n),
    leafPortSum = new Float64Array(n);
  for (const l of leaves) {
    let p = l;
    while (p >= 0) {
      leafCount[p]++;
      leafPortSum[p] += t.nodes[l].capacity;
      p = parent[p];
    }
  }
  return { byId, children, parent, leaves, innerBottomUp, leafCount, leafPortSum };
}

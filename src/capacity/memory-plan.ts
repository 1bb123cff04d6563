/** Host plan for the memory analysis: YAML schema (zod) and its parsed form. */
import { z } from 'zod';
import { HostopsError } from '../lib/errors.js';
import { parseBytes, parseDuration } from './units.js';
import { validate } from './validate.js';

const size = z.union([z.number().nonnegative(), z.string()]);
const vmS = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[\w.:@/-]+$/, 'use letters, digits and . _ : @ / -'),
    count: z.number().int().positive().max(10000).optional(),
    guaranteed: size,
    burst: size,
    shares: z.number().positive().optional(),
    series: z.string().optional(),
    model: z
      .object({
        base: size.optional(),
        mean: size.optional(),
        peak: size,
        hoursPerDay: z.number().gt(0).lte(24).optional(),
        bursts: z.number().int().positive().optional(),
        burstHours: z.number().gt(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export const hostSchema = z
  .object({
    host: z.string().optional(),
    ram: size,
    reserve: size.optional(),
    sharing: z.enum(['proportional', 'shares']).optional(),
    step: z.union([z.number().positive(), z.string()]).optional(),
    /** A VM is "at risk" when its burst goes unmet more often than this (default 0.01). */
    riskThreshold: z.number().gt(0).lt(1).optional(),
    vms: z.array(vmS).min(1),
  })
  .strict();

export interface VmPlan {
  id: string;
  guaranteed: number;
  burst: number;
  shares: number;
  series: string;
  /** Two-level model: base outside bursts, peak during them, share of time bursting. */
  model?: { base: number; peak: number; p: number };
}

export interface HostPlan {
  host: string;
  ram: number;
  reserve: number;
  usable: number;
  sharing: 'proportional' | 'shares';
  step?: number;
  riskThreshold: number;
  vms: VmPlan[];
}

export function buildHost(value: unknown, source = 'host'): HostPlan {
  const h = validate(hostSchema, value, source);
  const ram = parseBytes(h.ram, `${source}: ram`);
  const reserve =
    h.reserve !== undefined
      ? parseBytes(h.reserve, `${source}: reserve`)
      : Math.min(2 ** 30, ram * 0.05);
  // a host with no usable RAM gave "usable -1 GiB, overcommit -2.00x" and no risk at all
  if (!(ram > 0))
    throw new HostopsError(
      'CAPACITY_BAD_CONFIG',
      `Invalid ${source}: ram must be above 0, got ${JSON.stringify(h.ram)}`,
      { where: `${source}: ram` },
    );
  if (reserve >= ram)
    throw new HostopsError(
      'CAPACITY_BAD_CONFIG',
      `Invalid ${source}: reserve (${reserve}) leaves no usable RAM of ram (${ram})`,
      { where: `${source}: reserve` },
    );
  const vms: VmPlan[] = [];
  const seen = new Set<string>();
  h.vms.forEach((v, i) => {
    const f = `${source}: vms[${i}]`;
    const g = parseBytes(v.guaranteed, `${f}.guaranteed`),
      b = parseBytes(v.burst, `${f}.burst`);
    if (b < g)
      throw new HostopsError(
        'CAPACITY_BAD_CONFIG',
        `Invalid ${source}: vms[${i}].burst (${b}) is below guaranteed (${g})`,
        { where: `${f}.burst` },
      );
    let model: VmPlan['model'];
    if (v.model) {
      const peak = parseBytes(v.model.peak, `${f}.model.peak`);
      const hours = v.model.hoursPerDay ?? (v.model.bursts ?? 1) * (v.model.burstHours ?? 1);
      const p = Math.min(1, hours / 24);
      let base: number;
      if (v.model.base !== undefined) base = parseBytes(v.model.base, `${f}.model.base`);
      else if (v.model.mean !== undefined)
        base = p < 1 ? (parseBytes(v.model.mean, `${f}.model.mean`) - p * peak) / (1 - p) : peak;
      else
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: vms[${i}].model needs base or mean`,
          { where: `${f}.model` },
        );
      if (base < 0 || base > peak)
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: vms[${i}].model gives a base outside 0..peak`,
          { where: `${f}.model` },
        );
      model = { base, peak, p };
    }
    const n = v.count ?? 1;
    for (let k = 1; k <= n; k++) {
      const id = n > 1 ? `${v.id}-${k}` : v.id;
      if (seen.has(id))
        throw new HostopsError(
          'CAPACITY_BAD_CONFIG',
          `Invalid ${source}: duplicate VM id ${JSON.stringify(id)}`,
          { where: `${f}.id` },
        );
      seen.add(id);
      vms.push({
        id,
        guaranteed: g,
        burst: b,
        shares: v.shares ?? 1000,
        series: v.series ? (n > 1 ? `${v.series}-${k}` : v.series) : id,
        model,
      });
    }
  });
  return {
    host: h.host ?? source,
    ram,
    reserve,
    usable: ram - reserve,
    sharing: h.sharing ?? 'proportional',
    step: h.step !== undefined ? parseDuration(h.step, 'step') : undefined,
    riskThreshold: h.riskThreshold ?? 0.01,
    vms,
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { memoryRisk, buildHost, type LabeledSeries } from '../../src/capacity/index.js';
import { readYaml } from '../../src/capacity/validate.js';
import { fillDailyBursts } from '../../src/capacity/synth.js';
import { FIX, close } from './helpers.js';

const GiB = 2 ** 30;
const start = 1700006400,
  step = 300,
  L = 288 * 4;

function usage(name: string, base: number, peak: number, hours: number[]): LabeledSeries {
  const v = new Float64Array(L);
  fillDailyBursts(v, { start, step, base: base * GiB, peak: peak * GiB, hours });
  return {
    name,
    source: 'synthetic',
    unit: 'B',
    times: Float64Array.from({ length: L }, (_, k) => start + (k + 1) * step),
    values: v,
    interval: step,
  };
}

const plan = () => buildHost(readYaml(path.join(FIX, 'seed-ram.yaml')), 'seed-ram.yaml');

test('seed, model: the site gets its last 0.5 GB only when the neighbour is not bursting', () => {
  const r = memoryRisk(plan());
  const site = r.vms.find((v) => v.id === 'site')!;
  close(site.model!.pBurst, 1 / 12, 1e-12, 'bursting 2 h a day');
  close(
    site.model!.pBurstUnmet,
    1 / 12,
    1e-12,
    'unmet exactly when the neighbour bursts too (independent)',
  );
  close(r.model!.pHostShort, 1 / 144, 1e-12, 'both bursting');
  assert.match(r.model!.method, /exact/);
});

test('seed, replay: bursts at the same hours are short; shifted bursts are all met', () => {
  const aligned = memoryRisk(plan(), [
    usage('site', 2, 3.5, [9, 21]),
    usage('neighbour', 3, 4, [9, 21]),
  ]);
  const s = aligned.vms.find((v) => v.id === 'site')!.replay!,
    n = aligned.vms.find((v) => v.id === 'neighbour')!.replay!;
  assert.equal(s.pBurstUnmet, 1, 'every burst step short');
  // free above guarantees = 7 - 6 = 1 GiB shared 0.5 : 1 -> site gets 1/3 of its 0.5, unmet 1/6 GiB for 2 h a day
  close(s.unmetGiBhPerDay, 1 / 3, 1e-9, 'site unmet GiB·h/day');
  close(n.unmetGiBhPerDay, 2 / 3, 1e-9, 'neighbour unmet GiB·h/day');
  close(aligned.replay!.unmetGiBhPerDay, 1, 1e-9, 'host unmet');
  close(aligned.replay!.pHostShort, 1 / 12, 1e-12, 'host short 2 h a day');
  assert.deepEqual(aligned.atRisk.sort(), ['neighbour', 'site']);

  const shifted = memoryRisk(plan(), [
    usage('site', 2, 3.5, [9, 21]),
    usage('neighbour', 3, 4, [3, 15]),
  ]);
  assert.equal(shifted.vms[0].replay!.pBurstUnmet, 0);
  assert.equal(shifted.replay!.unmetGiBhPerDay, 0);
  // the model (independence) still flags a 1/12 chance: the replay is what decides for these two
  close(shifted.vms[0].model!.pBurstUnmet, 1 / 12, 0.02, 'model from the measured histograms');
});

test('shares (Proxmox-style) move the shortfall to the lower-share VM', () => {
  const p = plan();
  p.sharing = 'shares';
  p.vms[0].shares = 3000;
  const r = memoryRisk(p, [usage('site', 2, 3.5, [9]), usage('neighbour', 3, 4, [9])]);
  assert.equal(r.vms[0].replay!.unmetGiBhPerDay, 0);
  close(
    r.vms[1].replay!.unmetGiBhPerDay,
    0.5,
    1e-9,
    'neighbour gets the remaining 0.5 of its 1 GiB for 1 h',
  );
});

test('plan ceiling hits are counted apart from host contention', () => {
  const r = memoryRisk(plan(), [usage('site', 2, 4.5, [9]), usage('neighbour', 3, 3, [])]);
  const s = r.vms[0].replay!;
  assert.equal(s.planLimitSteps, 12 * 4, '1 h a day over 4 days at 5 min');
  close(s.planLimitGiBhPerDay, 0.5, 1e-9, 'the 0.5 GiB above its own 4 GiB cap');
  assert.equal(s.pBurstUnmet, 0, 'the host had room for everything up to the cap');
});

test('reference numbers: 28 sites on a 64 GiB host (62 usable), independent bursts', () => {
  const r = memoryRisk({
    host: 'kvm',
    ram: '64GiB',
    reserve: '2GiB',
    vms: [
      {
        id: 's',
        count: 28,
        guaranteed: '3GiB',
        burst: '4GiB',
        model: { base: '2GiB', peak: '3.5GiB', bursts: 2, burstHours: 1 },
      },
    ],
  });
  close(r.model!.pHostShort, 0.0789, 5e-4, 'exact');
  close(r.model!.unmetGiBhPerDay, 4.08, 0.01, 'GiB·h/day unmet');
  close(r.model!.gaussian, 0.127, 5e-3, 'Gaussian');
  close(r.model!.chernoff, 0.58, 5e-3, 'Chernoff bound');
  assert.ok(r.guaranteesOversold, '28 x 3 GiB > 62 GiB');
  assert.ok(
    'memory.low' in r.vms[0].settings.cgroupV2,
    'oversold guarantees: memory.low, not memory.min',
  );
  const r24 = memoryRisk({
    host: 'kvm',
    ram: '64GiB',
    reserve: '2GiB',
    vms: [
      {
        id: 's',
        count: 24,
        guaranteed: '2.5GiB',
        burst: '4GiB',
        model: { base: '2GiB', peak: '3.5GiB', bursts: 2, burstHours: 1 },
      },
    ],
  });
  close(r24.model!.pHostShort, 1.06e-5, 1e-6, 'N=24');
});

test('settings: cgroup v2 and libvirt values implement the plan', () => {
  const r = memoryRisk(plan());
  const s = r.vms[0].settings;
  assert.equal(s.cgroupV2['memory.min'], String(3 * GiB));
  assert.equal(s.cgroupV2['memory.high'], String(4 * GiB));
  assert.ok(Number(s.cgroupV2['memory.max']) > 4 * GiB);
  assert.match(s.libvirt, /<memory unit='KiB'>4194304<\/memory>/);
  assert.match(s.libvirt, /<soft_limit unit='KiB'>4194304<\/soft_limit>/);
  assert.equal(s.proxmox.balloon, '3072');
  assert.equal(s.proxmox.memory, '4096');
  assert.ok(s.notes.some((n) => /memory\.high/.test(n) && /soft_limit/.test(n)));
  assert.match(
    s.openvz,
    /--vmguarpages 786432 --privvmpages 1048576:1048576/,
    'UBC pages of 4 KiB',
  );
  assert.match(s.openvz, /--memguarantee 75\b/, 'Virtuozzo: 3 of 4 GiB guaranteed');
});

test('host file errors name the field', () => {
  assert.throws(
    () =>
      buildHost({ ram: '8GiB', vms: [{ id: 'a', guaranteed: '4GiB', burst: '3GiB' }] }, 'h.yaml'),
    (e: any) => /vms\[0\]\.burst/.test(e.where),
  );
  assert.throws(
    () =>
      buildHost({ ram: '8GiB', vms: [{ id: 'a', guaranteed: 'lots', burst: '3GiB' }] }, 'h.yaml'),
    (e: any) => /vms\[0\]\.guaranteed/.test(e.message),
  );
  assert.throws(
    () => buildHost({ ram: '8GiB', vms: [] }, 'h.yaml'),
    (e: any) => e.code === 'CAPACITY_BAD_CONFIG' && /vms/.test(e.message),
  );
});

test('gappy usage: steps with a gap are left out of the replay and counted', () => {
  const a = usage('site', 2, 3.5, [9, 21]);
  a.values.fill(NaN, 0, 10);
  const r = memoryRisk(plan(), [a, usage('neighbour', 3, 4, [9, 21])]);
  assert.equal(r.replay!.incompleteSteps, 10);
  assert.ok(r.notes.some((n) => /left out/.test(n)));
});

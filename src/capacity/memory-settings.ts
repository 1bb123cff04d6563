/**
 * The settings that implement a guaranteed/burst plan: cgroup v2, libvirt, Proxmox and OpenVZ.
 * libvirt on cgroup v2 maps hard_limit to memory.max and soft_limit to memory.high (vircgroupv2.c).
 */
import type { VmPlan } from './memory-plan.js';

export interface Settings {
  cgroupV2: Record<string, string>;
  libvirt: string;
  proxmox: Record<string, string>;
  openvz: string;
  notes: string[];
}

export function settingsFor(v: VmPlan, oversold: boolean): Settings {
  const kib = (b: number) => Math.round(b / 1024);
  const mib = (b: number) => `${Math.round(b / 2 ** 20)}M`;
  const hardMax = Math.ceil((v.burst * 1.1) / 2 ** 20) * 2 ** 20;
  const cg: Record<string, string> = {};
  if (oversold) cg['memory.low'] = String(Math.round(v.guaranteed));
  else cg['memory.min'] = String(Math.round(v.guaranteed));
  cg['memory.high'] = String(Math.round(v.burst));
  cg['memory.max'] = String(hardMax);
  const libvirt = [
    `<memory unit='KiB'>${kib(v.burst)}</memory>`,
    `<currentMemory unit='KiB'>${kib(v.burst)}</currentMemory>`,
    '<memtune>',
    `  <hard_limit unit='KiB'>${kib(hardMax)}</hard_limit>`,
    `  <soft_limit unit='KiB'>${kib(v.burst)}</soft_limit>`,
    '</memtune>',
  ].join('\n');
  return {
    cgroupV2: cg,
    libvirt,
    proxmox: { memory: String(Math.round(v.burst / 2 ** 20)), balloon: String(Math.round(v.guaranteed / 2 ** 20)), shares: String(v.shares) },
    openvz: `vzctl set ${v.id} --ram ${mib(v.guaranteed)} --swap ${mib(Math.max(0, v.burst - v.guaranteed))} --save   # VSwap: over --ram the CT is slowed, not given more RAM`,
    notes: [
      oversold
        ? 'Guarantees exceed usable RAM: memory.min would end in OOM kills, so memory.low (best effort) is given instead.'
        : 'memory.min is never reclaimed; unused protection stays usable by neighbours.',
      'memory.high throttles and reclaims at the burst ceiling and never OOM-kills; memory.max (10% above) is the backstop.',
      'libvirt on cgroup v2 writes hard_limit to memory.max and soft_limit to memory.high; it has no field for memory.min/low (min_guarantee is VMware ESX only), so set MemoryMin=/MemoryLow= on the machine scope (systemctl set-property --runtime machine-qemu…scope MemoryMin=…).',
      'hard_limit covers QEMU overhead too; libvirt advises caution with it. soft_limit must not be the guarantee on cgroup v2: it would throttle the VM at its guarantee.',
    ],
  };
}

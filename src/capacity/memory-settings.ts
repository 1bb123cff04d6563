/**
 * The settings that implement a guaranteed/burst plan: cgroup v2, libvirt, Proxmox and OpenVZ.
 * libvirt on cgroup v2 maps hard_limit to memory.max and soft_limit to memory.high (vircgroupv2.c).
 */
import type { VmPlan } from './memory-plan.js';

export interface Settings {
  cgroupV2: Record<string, string>;
  libvirt: string;
  proxmox: Record<string, string>;
  /** Proxmox container: only a ceiling (memory -> memory.max); a CT has no guarantee. */
  proxmoxCT: string;
  /** OpenVZ legacy UBC and Virtuozzo 7 / OpenVZ 7 commands. */
  openvz: string;
  notes: string[];
}

export function settingsFor(v: VmPlan, oversold: boolean): Settings {
  const kib = (b: number) => Math.round(b / 1024);
  const mibN = (b: number) => Math.round(b / 2 ** 20);
  const pages = (b: number) => Math.round(b / 4096);
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
    `  <!-- <min_guarantee unit='KiB'>${kib(v.guaranteed)}</min_guarantee>: VMware ESX and OpenVZ drivers only, not QEMU/KVM -->`,
    '</memtune>',
  ].join('\n');
  return {
    cgroupV2: cg,
    libvirt,
    proxmox: {
      memory: String(Math.round(v.burst / 2 ** 20)),
      balloon: String(Math.round(v.guaranteed / 2 ** 20)),
      shares: String(v.shares),
    },
    proxmoxCT: `pct set <vmid> --memory ${mibN(v.burst)}   # ${v.id}: memory.max only; a container has no guarantee`,
    openvz: [
      `vzctl set ${v.id} --vmguarpages ${pages(v.guaranteed)} --privvmpages ${pages(v.burst)}:${pages(v.burst)} --save   # UBC: always granted below vmguarpages, up to privvmpages only if the host has RAM free`,
      `prlctl set ${v.id} --memsize ${mibN(v.burst)} --memguarantee ${Math.round((100 * v.guaranteed) / v.burst)}   # Virtuozzo 7 / OpenVZ 7: a CT will not start if the guarantees exceed host RAM`,
    ].join('\n'),
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

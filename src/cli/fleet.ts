/** `hostops fleet`: the central inventory of a fleet of agents on one PostgreSQL database. */
import type { Command } from 'commander';
import { printJson } from '../lib/output.js';
import { openFleet } from '../fleet/open.js';
import {
  addSite,
  addTarget,
  assign,
  readInventory,
  renameTarget,
  setMesh,
  setRetention,
  setSla,
} from '../fleet/inventory.js';
import { exportYaml, importFleet, parseFleetFile } from '../fleet/yaml-io.js';
import { locate, resolveNearest, setNearest } from '../fleet/nearest.js';
import { retentionStatus } from '../fleet/retention-status.js';
import type { PgDriver } from '../store/index.js';
import { applyOptions, type OptionSpec, type OptionTable } from './options/index.js';

const DB: OptionSpec = {
  flags: '--db <url>',
  type: 'string',
  defaultText: '$HOSTOPS_FLEET_DB',
  help: 'the fleet database as its owner',
};
const text = (flags: string, help: string, defaultText?: string): OptionSpec => ({
  flags,
  type: 'string',
  help,
  defaultText,
});

// values the fleet module reads and checks itself (a count, SLA bounds, retention periods)
const ADD_TARGET_OPTIONS: OptionTable = {
  group: text('--group <g...>', 'groups the target belongs to'),
};
const ASSIGN_OPTIONS: OptionTable = {
  mesh: { flags: '--mesh', type: 'bool', help: 'every site probes every target' },
  nearest: text(
    '--nearest <n>',
    'these targets are probed by the n sites with the lowest measured latency to them (then by coordinates, then by name)',
  ),
};
const SLA_OPTIONS: OptionTable = {
  site: text('--site <site>', 'only for this site', 'every site'),
  target: text('--target <name>', 'the target'),
  group: text('--group <g>', 'the group of targets'),
  rtt: text('--rtt <bound>', 'round-trip bound, e.g. "< 80 ms"'),
  loss: text('--loss <bound>', 'loss bound, e.g. "< 1%"'),
};
const RETENTION_OPTIONS: OptionTable = {
  raw: text('--raw <d>', 'raw rows (whole days)'),
  fiveMinute: text('--five-minute <d>', '5-minute rollups'),
  hourly: text('--hourly <d>', 'hourly rollups'),
  grace: text(
    '--grace <d>',
    'how long a new site that has not declared its own retention holds dropping back (default 2d)',
  ),
};
const LIST_OPTIONS: OptionTable = {
  json: { flags: '--json', type: 'bool', help: 'machine-readable' },
};

type DbOpts = { db?: string };
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

async function withDb<T>(opts: DbOpts, f: (d: PgDriver) => Promise<T>): Promise<T> {
  const d = await openFleet(opts.db);
  try {
    return await f(d);
  } finally {
    await d.close();
  }
}

export function register(program: Command): void {
  const fleet = program
    .command('fleet')
    .description(
      'central inventory of a fleet on PostgreSQL: sites (with their roles), targets, assignments, SLAs, retention',
    );
  const cmd = (spec: string, desc: string, table: OptionTable = {}) =>
    applyOptions(fleet.command(spec).description(desc), { db: DB, ...table });

  cmd(
    'add-site <name>',
    "add a site and its database role (LOGIN, random password); prints the role's connection string",
  ).action((name: string, o: DbOpts) =>
    withDb(o, async (d) => {
      const s = await addSite(d.sql, name, o.db ?? process.env.HOSTOPS_FLEET_DB!);
      out(`site ${s.site}: role ${s.role} (writes only its own rows, reads the inventory)`);
      out(`store.url for this agent: ${s.url}`);
      if (s.tls && !new URL(s.url).searchParams.has('sslrootcert'))
        out(
          'the server runs TLS: add &sslrootcert=/path/to/the-fleet-ca.pem on the agent (the CA that signed the server certificate)',
        );
    }),
  );

  cmd(
    'add-target <name> <address>',
    'add a target (an address with a name); a known address under a new name is a rename',
    ADD_TARGET_OPTIONS,
  ).action((name: string, address: string, o: DbOpts & { group?: string[] }) =>
    withDb(o, async (d) => {
      const t = await addTarget(d.sql, name, address, o.group ?? []);
      out(`target ${t.name} ${t.address}${t.groups.length ? ` groups ${t.groups.join(',')}` : ''}`);
    }),
  );

  cmd(
    'rename-target <from> <to>',
    'rename a target; its history (rows under the old name) stays with it',
  ).action((from: string, to: string, o: DbOpts) =>
    withDb(o, async (d) => {
      const t = await renameTarget(d.sql, from, to);
      out(`target ${from} is now ${t.name} (${t.address})`);
    }),
  );

  cmd(
    'assign [site] [targets...]',
    'which sites probe which targets: --mesh (all sites, all targets), SITE TARGET|group:G ..., or --nearest N TARGET|group:G ...',
    ASSIGN_OPTIONS,
  ).action(
    (
      site: string | undefined,
      targets: string[],
      o: DbOpts & { mesh?: boolean; nearest?: string },
    ) =>
      withDb(o, async (d) => {
        if (o.mesh) {
          await setMesh(d.sql);
          out('assignments: full mesh');
          return;
        }
        if (o.nearest !== undefined) {
          const n = /^\d+$/.test(o.nearest) ? Number(o.nearest) : NaN;
          for (const r of await setNearest(
            d.sql,
            [site, ...targets].filter((x): x is string => !!x),
            n,
          ))
            out(
              `target ${r.target}: nearest ${r.n}: ${r.sites.join(', ') || '-'} (by ${r.basis || 'nothing: no sites'})`,
            );
          return;
        }
        if (!site || !targets.length) {
          process.stderr.write('hostops: fleet assign needs --mesh, or a site and targets\n');
          process.exitCode = 2;
          return;
        }
        await assign(d.sql, site, targets);
        out(`site ${site} probes ${targets.join(', ')}`);
      }),
  );

  cmd(
    'resolve-nearest',
    "choose again the sites of every --nearest target from the last day's latency (run it periodically)",
  ).action((o: DbOpts) =>
    withDb(o, async (d) => {
      for (const r of await resolveNearest(d.sql))
        out(
          `target ${r.target}: nearest ${r.n}: ${r.sites.join(', ') || '-'} (by ${r.basis || 'nothing: no sites'})`,
        );
    }),
  );

  cmd(
    'locate <name> <lat,lon>',
    'where a site or a target is (degrees), for --nearest before latency is measured',
  ).action((name: string, at: string, o: DbOpts) =>
    withDb(o, async (d) => {
      out(`${await locate(d.sql, name, at)} ${name} at ${at}`);
    }),
  );

  cmd(
    'sla',
    'set the SLA of a target or a group, for every site or one (--site)',
    SLA_OPTIONS,
  ).action(
    (o: DbOpts & { site?: string; target?: string; group?: string; rtt?: string; loss?: string }) =>
      withDb(o, async (d) => {
        await setSla(d.sql, o);
        out(
          `sla ${o.site ?? '*'} x ${o.target ?? `group:${o.group ?? '*'}`}: ${[o.rtt && `rtt ${o.rtt}`, o.loss && `loss ${o.loss}`].filter(Boolean).join(', ')}`,
        );
      }),
  );

  cmd(
    'retention',
    'how long the fleet keeps rows (raw, 5-minute, hourly: whole days dropped for every site)',
    RETENTION_OPTIONS,
  ).action((o: DbOpts & { raw?: string; fiveMinute?: string; hourly?: string; grace?: string }) =>
    withDb(o, async (d) => {
      await setRetention(d.sql, {
        raw: o.raw,
        fiveMinute: o.fiveMinute,
        hourly: o.hourly,
        grace: o.grace,
      });
      out('retention set');
    }),
  );

  cmd('list', 'the inventory', LIST_OPTIONS).action((o: DbOpts & { json?: boolean }) =>
    withDb(o, async (d) => {
      const inv = await readInventory(d.sql);
      const ret = await retentionStatus(d.sql, Date.now() / 1000);
      if (o.json) {
        printJson({ ...inv, retentionHeldBy: ret.holding, retentionNoLongerWaitsFor: ret.lapsed });
        return;
      }
      out(`sites (${inv.sites.length}): ${inv.sites.map((s) => s.name).join(', ') || '-'}`);
      out(`targets (${inv.targets.length}):`);
      for (const t of inv.targets)
        out(`  ${t.name}  ${t.address}${t.groups.length ? `  [${t.groups.join(',')}]` : ''}`);
      out(`assignments: ${inv.mode}`);
      for (const [t, r] of Object.entries(inv.nearest))
        out(`  ${t}: nearest ${r.n}: ${r.sites.join(', ') || '-'} (by ${r.basis || '-'})`);
      for (const [s, ts] of Object.entries(inv.assignments)) out(`  ${s}: ${ts.join(', ')}`);
      const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      if (ret.holding.length)
        out(
          `retention held back by (not declared yet): ${ret.holding.map((s) => `${s.site} (until ${iso(s.until)})`).join(', ')}`,
        );
      if (ret.lapsed.length)
        out(
          `retention no longer waits for (never declared within the grace): ${ret.lapsed.map((s) => `${s.site} (added ${iso(s.addedAt)})`).join(', ')}`,
        );
      out(`sla (${inv.sla.length}):`);
      for (const s of inv.sla)
        out(
          `  ${s.site} x ${s.target ?? `group:${s.group ?? '*'}`}: ${[s.rtt && `rtt ${s.rtt}`, s.loss && `loss ${s.loss}`].filter(Boolean).join(', ')}`,
        );
    }),
  );

  cmd('export', 'the inventory as YAML (for review in git)').action((o: DbOpts) =>
    withDb(o, async (d) => {
      process.stdout.write(await exportYaml(d.sql));
    }),
  );

  cmd(
    'import <file>',
    'make the inventory match a fleet.yaml (validated first; nothing changes on an error)',
  ).action((file: string, o: DbOpts) => {
    const f = parseFleetFile(file);
    return withDb(o, async (d) => {
      const r = await importFleet(d.sql, f);
      out(`imported ${file}: ${f.sites.length} sites, ${r.targets} targets, ${r.sla} SLAs`);
    });
  });
}

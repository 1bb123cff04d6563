import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultGateway,
  loadConfig,
  parseConfig,
  parseDuration,
  parseRttBound,
  resolveConfig,
} from '../../src/config/index.js';
import { isHostopsError } from '../../src/lib/errors.js';
import { tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// blackbox_exporter style: each invalid file with the exact message it must produce
const CASES: [string, string][] = [
  [
    'invalid-sla.yml',
    'invalid-sla.yml:5: targets[0].sla.rtt: expected an RTT bound such as "< 70 ms", got "fast"',
  ],
  ['invalid-port.yml', 'invalid-port.yml:2: listen.port: Too big: expected number to be <=65535'],
  [
    'invalid-unknown-field.yml',
    'invalid-unknown-field.yml:3: targets[0].hots: unknown field (see docs/serve.md for the fields)\ninvalid-unknown-field.yml:2: targets[0].host: required field is missing',
  ],
  [
    'invalid-duration.yml',
    'invalid-duration.yml:2: ping.interval: expected a duration such as "30s", "5m" or a number of seconds, got "soon"',
  ],
  [
    'invalid-yaml.yml',
    'invalid-yaml.yml:2: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  ['invalid-url.yml', 'invalid-url.yml:3: store.url: expected a postgres:// URL'],
  [
    'invalid-postgres-no-url.yml',
    'invalid-postgres-no-url.yml:2: store.url: kind postgres needs url: postgres://user@host/database',
  ],
  [
    'invalid-token.yml',
    'invalid-token.yml:2: listen.token: a token must be at least 16 characters',
  ],
];

for (const [file, want] of CASES) {
  test(`config ${file} is rejected with a message naming the field`, () => {
    const text = readFileSync(path.join(here, 'testdata', file), 'utf8');
    assert.throws(
      () => parseConfig(text, file),
      (e: unknown) => {
        assert.ok(isHostopsError(e));
        assert.equal(e.exitCode, 2);
        assert.equal(e.message.split('\n').sort().join('\n'), want.split('\n').sort().join('\n'));
        return true;
      },
    );
  });
}

test('no config at all gives a working agent: this host and its default gateway', () => {
  const t = tempDir();
  try {
    const route = path.join(t.dir, 'route');
    writeFileSync(
      route,
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
        'eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
        'eth0\t00000000\t010012C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
    );
    assert.equal(defaultGateway(route), '198.18.0.1');
    const { config, file } = loadConfig(undefined);
    assert.equal(file, null);
    const r = resolveConfig(config, { routeFile: route });
    assert.deepEqual(
      r.targets.map((x) => [x.name, x.host]),
      [
        ['localhost', '127.0.0.1'],
        ['gateway', '198.18.0.1'],
      ],
    );
    assert.equal(r.listen.host, '127.0.0.1');
    assert.equal(r.listen.port, 8080);
    assert.equal(r.store.kind, 'sqlite');
    assert.equal(r.mailq.enabled, 'auto');
    assert.ok(r.site.length > 0);
  } finally {
    t.cleanup();
  }
});

test('configured targets keep their SLA and are not duplicated by the defaults', () => {
  const cfg = resolveConfig(
    parseConfig(
      'site: ldn\ntargets:\n  - name: lo\n    host: 127.0.0.1\n    sla: { rtt: "< 70 ms", loss: "< 1%" }\n    sites: { nyc: { rtt: "<= 90ms" } }\n',
    ),
    { routeFile: '/nonexistent' },
  );
  assert.equal(cfg.targets.length, 1);
  assert.deepEqual(cfg.targets[0].sla, {
    rtt: { op: '<', value: 0.07 },
    loss: { op: '<', value: 0.01 },
  });
  assert.deepEqual(cfg.targets[0].sites?.nyc.rtt, { op: '<=', value: 0.09 });
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('5x'), null);
  assert.deepEqual(parseRttBound('< 0.5 s'), { op: '<', value: 0.5 });
});

test('the example config in docs/ is valid', () => {
  const text = readFileSync(path.join(here, '..', '..', 'docs', 'hostops.example.yaml'), 'utf8');
  const cfg = parseConfig(text, 'hostops.example.yaml');
  assert.ok(cfg.targets.length >= 2);
});

test('store.rollupInterval: 1 minute by default, 10 s to 5 min, and the rollup job runs at it', async () => {
  const { rollupJob } = await import('../../src/serve/jobs/maintenance.js');
  const job = (text: string) =>
    rollupJob({ cfg: resolveConfig(parseConfig(text)) } as Parameters<typeof rollupJob>[0]);
  assert.equal(job('site: a\n').interval, 60);
  assert.equal(job('site: a\nstore:\n  rollupInterval: 5m\n').interval, 300);
  for (const bad of ['5s', '10m'])
    assert.throws(
      () => parseConfig(`site: a\nstore:\n  rollupInterval: ${bad}\n`, 'h.yaml'),
      (e: unknown) =>
        isHostopsError(e) &&
        /^h\.yaml:3: store\.rollupInterval: expected 10s to 5m, got \d+ s$/.test(e.message),
    );
});

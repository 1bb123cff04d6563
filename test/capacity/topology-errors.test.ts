import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopology } from '../../src/capacity/index.js';
import { buildHost } from '../../src/capacity/memory-plan.js';
import { readYaml } from '../../src/capacity/validate.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostopsError } from '../../src/lib/errors.js';

const fails = (value: unknown, where: string, message: RegExp) =>
  assert.throws(
    () => buildTopology(value, 't.yaml'),
    (e: unknown) =>
      e instanceof HostopsError && e.exitCode === 2 && e.where === where && message.test(e.message),
    `${where} ${message}`,
  );

test('topology errors name the key the user wrote (host/switch, port/uplink), not the internal one', () => {
  fails(
    { hosts: [{ id: 'h', switch: 'sw2', uplink: '1G' }] },
    't.yaml: hosts[0].switch',
    /hosts\[0\]\.switch names unknown node "sw2"/,
  );
  fails(
    { hosts: [{ id: 'h', uplink: '1G' }], customers: [{ id: 'c', host: 'hx', port: '1G' }] },
    't.yaml: customers[0].host',
    /customers\[0\]\.host/,
  );
  fails(
    { hosts: [{ id: 'h', uplink: '1G' }], customers: [{ id: 'c', host: 'h', port: 'fast' }] },
    't.yaml: customers[0].port',
    /customers\[0\]\.port/,
  );
  fails(
    { nodes: [{ id: 'n', capacity: 'x' }] },
    't.yaml: nodes[0].capacity',
    /nodes\[0\]\.capacity/,
  );
});

test('a zero capacity is an input error, not a 0 bit/s link with ratio "-"', () => {
  fails(
    { hosts: [{ id: 'h', uplink: 0 }], customers: [{ id: 'c', host: 'h', port: '1G' }] },
    't.yaml: hosts[0].uplink',
    /must be a finite rate above 0/,
  );
  fails(
    { hosts: [{ id: 'h', uplink: '1G' }], customers: [{ id: 'c', host: 'h', port: '0 Mbit/s' }] },
    't.yaml: customers[0].port',
    /must be a finite rate above 0/,
  );
  fails(
    {
      hosts: [{ id: 'h', uplink: '1e400 bit/s' }],
      customers: [{ id: 'c', host: 'h', port: '1G' }],
    },
    't.yaml: hosts[0].uplink',
    /must be a finite rate above 0/,
  );
});

test('nested counts that multiply past the node limit are refused before expanding instead of exhausting memory', () => {
  fails(
    {
      switches: [{ id: 's', uplink: '10G', count: 100000 }],
      hosts: [{ id: 'h', switch: 's', uplink: '1G', count: 100000 }],
    },
    't.yaml: switches[0]',
    /more than 1000000 links after expanding count.*switches\[0\] alone expands to 10000100000/,
  );
});

test('memory host: zero RAM or a reserve that eats all of it is an input error (was usable -1 GiB, overcommit -2x)', () => {
  const vms = [{ id: 'a', guaranteed: '1GiB', burst: '2GiB' }];
  assert.throws(
    () => buildHost({ ram: 0, vms }, 'h.yaml'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.where === 'h.yaml: ram' &&
      /ram must be above 0/.test(e.message),
  );
  assert.throws(
    () => buildHost({ ram: '8GiB', reserve: '9GiB', vms }, 'h.yaml'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.where === 'h.yaml: reserve' &&
      /leaves no usable RAM/.test(e.message),
  );
  assert.equal(buildHost({ ram: '8GiB', reserve: '1GiB', vms }, 'h.yaml').usable, 7 * 2 ** 30);
});

test('a YAML alias bomb is CAPACITY_BAD_YAML naming the file (exit 2), not an internal error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hocap-'));
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  const file = path.join(dir, 'bomb.yaml');
  writeFileSync(file, [...lines, 'hosts: *a8'].join('\n'));
  assert.throws(
    () => readYaml(file),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'CAPACITY_BAD_YAML' &&
      e.exitCode === 2 &&
      e.where === file,
  );
});

test('on-off model: a peak above the port or a mean above the peak is an input error naming the field', () => {
  const h = { id: 'h', uplink: '10G' };
  fails(
    { hosts: [h], customers: [{ id: 'a', host: 'h', port: '1G', peak: '5G', duty: 0.5 }] },
    't.yaml: customers[0].peak',
    /peak \(5G\) is above its port \(1G\)/,
  );
  fails(
    { hosts: [h], customers: [{ id: 'a', host: 'h', port: '1G', mean: '2G' }] },
    't.yaml: customers[0].mean',
    /mean \(2G\) is above its port/,
  );
  fails(
    { hosts: [h], customers: [{ id: 'a', host: 'h', port: '1G', peak: '500M', mean: '600M' }] },
    't.yaml: customers[0].mean',
    /above its peak \(500M\)/,
  );
  assert.equal(
    buildTopology(
      { hosts: [h], customers: [{ id: 'a', host: 'h', port: '1G', peak: '500M', mean: '100M' }] },
      't.yaml',
    ).nodes[1].mean,
    100e6,
  );
});

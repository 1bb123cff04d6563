import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { inetAton, resolveTarget } from '../../src/net/resolve.js';
import { resolveHost } from '../../src/ntp/udp.js';
import { spoofTest } from '../../src/bcp38/index.js';
import { HostopsError } from '../../src/lib/errors.js';

test('inet_aton forms resolve without DNS as glibc does; mistyped dotted addresses are refused before any lookup', async () => {
  assert.equal(inetAton('127.1'), '127.0.0.1');
  assert.equal(inetAton('0x7f.1'), '127.0.0.1');
  assert.equal(inetAton('2130706433'), '127.0.0.1');
  assert.equal(inetAton('010.0.0.1'), '8.0.0.1');
  for (const bad of ['300.1.1.1', '1.2.3.256', '1.2.65536', '09.1.1.1', '1.2.3.4.5'])
    assert.equal(inetAton(bad), null, bad);
  assert.deepEqual(await resolveTarget('127.1'), {
    target: '127.1',
    address: '127.0.0.1',
    family: 4,
    numeric: true,
  });
  // these must fail at once with a usage error, never as "Name or service not known" after a DNS query
  const refused = (code: string) => (e: unknown) =>
    e instanceof HostopsError &&
    e.code === code &&
    e.exitCode === 2 &&
    /not a valid IP address/.test(e.message);
  await assert.rejects(resolveTarget('300.1.1.1'), refused('NET_BAD_TARGET'));
  await assert.rejects(resolveTarget('198.18.0.300'), refused('NET_BAD_TARGET'));
  await assert.rejects(resolveHost('300.1.1.1'), refused('NTP_BAD_HOST'));
  await assert.rejects(
    spoofTest('300.1.1.1'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'BCP38_BAD_TARGET' &&
      /not a valid IP address/.test(e.message),
  );
});

test('IPv6 literals are canonical, so replies from ::1 match a target typed as 0:0::1', async () => {
  assert.equal((await resolveTarget('0:0::1')).address, '::1');
  assert.equal((await resolveTarget('2001:DB8:0:0::1')).address, '2001:db8::1');
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'ping', '-c', '2', '-i', '0.2', '-W', '2', '0:0::1'],
    { encoding: 'utf8', timeout: 20000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'PING 0:0::1(::1) 56 data bytes');
  assert.match(r.stdout, /2 packets transmitted, 2 received/);
});

test('ntp: an IPv6 literal is made canonical, so its replies (from ::1) are not taken as stray', async () => {
  assert.deepEqual(await resolveHost('0:0::1'), { address: '::1', family: 6 });
  assert.deepEqual(await resolveHost('2001:DB8::1'), { address: '2001:db8::1', family: 6 });
});

/**
 * amp's two NTP probes are built by src/ntp/packet.ts (they were typed in again by hand); the
 * bytes on the wire are the ones amp always sent: mode 7 MON_GETLIST_1 in 48 bytes as nmap, and
 * mode 6 READVAR in 12 bytes as ntpq -c rv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOLS } from '../../src/amp/protocols.js';

const ids = { tx16: 0x1234, tx32: 0x12345678 };
const probe = (name: string) =>
  PROTOCOLS.find((p) => p.name === name)!
    .build(ids)
    .toString('hex');

test('ntp-monlist and ntp-mode6 probes keep their bytes', () => {
  assert.equal(probe('ntp-monlist'), `1700032a${'00'.repeat(44)}`);
  assert.equal(probe('ntp-mode6'), '160200010000000000000000');
});

test('one catalogue: ddos names reflectors by it, amp takes its names and its own probe names', async () => {
  const { AMPLIFIERS } = await import('../../src/amp/catalogue.js');
  const { REFLECTORS } = await import('../../src/ddos/protocols.js');
  const { selectProtocols } = await import('../../src/amp/protocols.js');
  assert.deepEqual(
    REFLECTORS.map((r) => `${r.port}/${r.name}`),
    AMPLIFIERS.map((a) => `${a.port}/${a.name}`),
  );
  assert.equal(REFLECTORS.find((r) => r.port === 123)!.name, 'ntp');
  const names = (s: string) => selectProtocols(s).map((p) => p.name);
  assert.deepEqual(names('ntp'), ['ntp-monlist', 'ntp-mode6']);
  assert.deepEqual(names('ntp-mode6'), ['ntp-mode6']);
  assert.deepEqual(names('ws-discovery'), names('wsd'));
  assert.throws(() => selectProtocols('ripv1'), /unknown protocol "ripv1"/);
});

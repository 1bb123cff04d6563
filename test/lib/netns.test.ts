import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, chain } from './netns.js';

test('a two-router chain forwards end to end and cleans up', () => {
  const t = new Topology('nsh');
  try {
    const c = chain(t, 2, 250);
    assert.deepEqual(c.hops, ['198.18.250.2', '198.18.250.6', '198.18.250.10']);
    const out = t.exec(c.src, ['ping', '-c', '1', '-W', '2', c.hops[2]]);
    assert.match(out, /1 received/);
  } finally {
    t.destroy();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OverviewCache } from '../../src/serve/overview-cache.js';

test('overview cache: one build per window while fresh and the data version holds', async () => {
  let t = 0;
  const cache = new OverviewCache<string>(3000, () => t);
  let release!: () => void;
  const slow = new Promise<void>((r) => {
    release = r;
  });
  const build = (v: string) => async () => {
    await slow;
    return v;
  };
  // the grouped dashboard's requests of one refresh arrive together: one build
  const five = Array.from({ length: 5 }, () => cache.get('3600:86400', 'wm=1', build('a')));
  release();
  assert.deepEqual(await Promise.all(five), ['a', 'a', 'a', 'a', 'a']);
  assert.equal(cache.builds, 1);
  t = 2000;
  assert.equal(await cache.get('3600:86400', 'wm=1', build('b')), 'a', 'fresh: reused');
  assert.equal(await cache.get('7200:86400', 'wm=1', build('w')), 'w', 'another window: its own');
  assert.equal(cache.builds, 2);
  assert.equal(await cache.get('3600:86400', 'wm=2', build('c')), 'c', 'a rollup landed: rebuilt');
  assert.equal(cache.builds, 3);
  t = 5100;
  assert.equal(await cache.get('3600:86400', 'wm=2', build('d')), 'd', 'past the TTL: rebuilt');
  assert.equal(
    await cache.get('3600:86400', null, build('e')),
    'd',
    'version unknown: TTL decides',
  );
  t = 8200;
  assert.equal(await cache.get('3600:86400', null, build('f')), 'f');
  assert.equal(cache.builds, 5);
  // a failed build is not kept
  await assert.rejects(
    cache.get('x', 'v', async () => {
      throw new Error('db down');
    }),
  );
  assert.equal(await cache.get('x', 'v', build('g')), 'g');
  assert.equal(cache.builds, 7);
});

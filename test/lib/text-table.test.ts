import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textTable } from '../../src/lib/text-table.js';

test('textTable: content widths, two-space gap, right alignment, trailing spaces dropped', () => {
  assert.deepEqual(
    textTable(
      [
        ['NAME', 'N', 'NOTE'],
        ['a', 1234, ''],
        ['longer', 5, 'x'],
      ],
      { columns: [{}, { align: 'right' }] },
    ),
    ['NAME       N  NOTE', 'a       1234', 'longer     5  x'],
  );
  assert.deepEqual(textTable([]), []);
});

test('textTable: fixed widths never cut a cell, width 0 leaves it, trimEnd false keeps spaces', () => {
  assert.deepEqual(
    textTable(
      [
        ['a', 'b', 'c'],
        ['toolong', 'y', ''],
      ],
      { columns: [{ width: 4 }, { width: 3 }, { width: 0 }], gap: ' ', trimEnd: false },
    ),
    ['a    b   c', 'toolong y   '],
  );
});

test('textTable: the header sets the columns; extra cells stay unpadded, missing ones are empty', () => {
  assert.deepEqual(textTable([['A', 'B'], ['1'], ['22', 'x', 'extra']]), [
    'A   B',
    '1',
    '22  x  extra',
  ]);
});

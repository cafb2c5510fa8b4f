import assert from 'node:assert/strict';
import { test } from 'node:test';

import { backoffDelay } from '../src/index.js';

test('the cap doubles from the base up to the maximum', () => {
  const options = { baseMs: 500, maxMs: 8000, random: () => 0.999999 };
  const delays = [0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, options));
  assert.deepEqual(delays, [499, 999, 1999, 3999, 7999, 7999, 7999]);
});

test('full jitter: any delay from zero up to the cap', () => {
  assert.equal(backoffDelay(3, { baseMs: 500, maxMs: 8000, random: () => 0 }), 0);
  assert.equal(backoffDelay(3, { baseMs: 500, maxMs: 8000, random: () => 0.5 }), 2000);
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(20, { baseMs: 500, maxMs: 30_000 });
    assert.ok(delay >= 0 && delay < 30_000, `delay ${delay}`);
  }
});

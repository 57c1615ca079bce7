// `lmul errors`: the precision table of the multipliers (native CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lmul = path.join(root, 'build/native/lmul');
const run = (...args) => JSON.parse(execFileSync(lmul, ['errors', ...args], { encoding: 'utf8' }));
const find = (rows, format, method, rounding = 'nearest') =>
  rows.find((r) => r.format === format && r.method === method && r.rounding === rounding);

const result = run('--pairs', '200000', '--json');

test('every format x method x rounding is reported', () => {
  assert.equal(result.pairs, 200000);
  // 12 formats x (float, lmul, lmul-formula, mitchell) x (nearest, truncate)
  assert.equal(result.results.length, 12 * 4 * 2);
  for (const method of ['float', 'lmul', 'lmul-formula', 'mitchell'])
    assert.ok(find(result.results, 'E8M3', method), `no row for ${method}`);
  for (const r of result.results) {
    assert.equal(r.count + r.zeros, 200000);
    assert.ok(Number.isFinite(r.mean) && r.mean > 0 && r.max >= r.mean, JSON.stringify(r));
  }
});

test('float error halves with every extra mantissa bit', () => {
  for (let M = 3; M <= 10; ++M) {
    const ratio = find(result.results, `E8M${M - 1}`, 'float').mean /
      find(result.results, `E8M${M}`, 'float').mean;
    assert.ok(ratio > 1.7 && ratio < 2.3, `M=${M}: ratio ${ratio}`);
  }
});

test('L-Mul error stops improving beyond M = 5 (its offset term dominates)', () => {
  const m7 = find(result.results, 'E8M7', 'lmul').mean, m10 = find(result.results, 'E8M10', 'lmul').mean;
  assert.ok(Math.abs(m7 - m10) / m10 < 0.02, `${m7} vs ${m10}`);
  assert.ok(m10 > 0.02 && m10 < 0.035, `lmul mean error at M=10: ${m10}`);
});

test('same seed, same numbers; another seed, other numbers', () => {
  const again = run('--pairs', '200000', '--json', '--threads', '1');
  assert.deepEqual(again.results, result.results);
  const other = run('--pairs', '200000', '--json', '--seed', '7');
  assert.notDeepEqual(other.results, result.results);
});

test('bad options are rejected with a message naming them', () => {
  const r = spawnSync(lmul, ['errors', '--pairs', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--pairs must be an integer in 1\.\.1000000000, got '0'/);
  const u = spawnSync(lmul, ['errors', '--bogus'], { encoding: 'utf8' });
  assert.equal(u.status, 1);
  assert.match(u.stderr, /unknown option --bogus/);
});

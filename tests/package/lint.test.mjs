// The published package as type checkers and linters see it: @arethetypeswrong/cli (types resolve
// for every module entry point under node16 ESM and bundler resolution; .attw.json leaves out the
// two file exports, lmul.wasm and default-model.safetensors, which are files to resolve, not
// modules to import — README "Where the package goes") and publint --strict (package.json fields,
// exports and files agree with what is packed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers.mjs';

const bin = (name) => path.join(root, 'node_modules/.bin', name);

test('@arethetypeswrong/cli --pack --profile esm-only finds no problem', () => {
  const r = spawnSync(bin('attw'), ['--pack', '.', '--profile', 'esm-only', '--no-color'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('publint --strict: no error, warning or suggestion', () => {
  const r = spawnSync(bin('publint'), ['--strict'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /All good!/);
});

// The ViT commands of the native `lmul` tool: `lmul train --arch vit` writes a ViT file that
// `lmul eval-vit` reads (table, JSON, logits), and bad options end with status 1, nothing on
// stdout and one line on stderr naming the option and the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lmul = process.env.LMUL_CLI || path.join(root, 'build/native/lmul');
const mlp = path.join(root, 'models/mlp-784-128-10.safetensors');
const dir = mkdtempSync(path.join(tmpdir(), 'lmul-vit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function run(...args) {
  const r = spawnSync(lmul, args, { cwd: root, encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function rejects(args, pattern) {
  const r = run(...args);
  assert.equal(r.status, 1, `lmul ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  assert.equal(r.stdout, '', `lmul ${args.join(' ')} printed on stdout`);
  assert.match(r.stderr, pattern, `lmul ${args.join(' ')}`);
}
function header(file) {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString());
}

test('lmul train --arch vit writes a ViT that lmul eval-vit evaluates under the three plans', () => {
  const model = path.join(dir, 'tiny-vit.safetensors');
  const trained = run('train', '--arch', 'vit', '--width', '8', '--depth', '2', '--heads', '2',
    '--mlp-hidden', '8', '--epochs', '1', '--train-limit', '512', '--out', model);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stderr, /training ViT p7-w8-d2 \(2 heads, MLP 8 relu, \d+ parameters\) on 512 images/);
  assert.match(trained.stderr, /epoch 1\/1 .* test exact \d+\.\d\d %/);
  const h = header(model);
  assert.equal(h.__metadata__.arch, 'vit');
  assert.equal(h.__metadata__.width, '8');
  assert.equal(h.__metadata__.train_images, '512');
  assert.deepEqual(h['blocks.1.attn.qkv.weight'].shape, [24, 8]);
  assert.deepEqual(h['patch_embed.weight'].shape, [8, 1, 7, 7]);

  const table = run('eval-vit', '--model', model, '--limit', '200', '--methods', 'lmul',
    '--formats', 'E8M2,E4M3');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /\| multiplier \| all products \| ≠ exact \| attention only \| ≠ exact \| linear only \| ≠ exact \|/);
  assert.match(table.stdout, /\| lmul E8M2 \| \d+\.\d\d % \| \d+ \| \d+\.\d\d % \| \d+ \| \d+\.\d\d % \| \d+ \|/);
  assert.match(table.stdout, /\| lmul E4M3 \|/);

  const json = JSON.parse(run('eval-vit', '--model', model, '--limit', '100', '--methods',
    'float', '--formats', 'E8M3', '--json').stdout);
  assert.equal(json.images, 100);
  assert.deepEqual(json.results.map((r) => `${r.method} ${r.format} ${r.products}`),
    ['exact fp32 all', 'float E8M3 all', 'float E8M3 attention', 'float E8M3 linear']);
  for (const r of json.results) assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.correct <= 100);

  const logits = JSON.parse(run('eval-vit', '--model', model, '--logits', '3').stdout);
  assert.equal(logits.logits.length, 3);
  assert.equal(logits.logits[0].length, 10);
  assert.deepEqual(logits.labels, [7, 2, 1]); // the first MNIST test labels
});

test('lmul train --arch vit and lmul eval-vit: bad options name the option and the problem', () => {
  rejects(['train', '--arch', 'cnn'], /^lmul train: error: --arch must be 'mlp' or 'vit', got 'cnn'\n$/);
  rejects(['train', '--arch', 'vit', '--heads', '5'], /ViT config: heads 5 must divide width 48\n$/);
  rejects(['train', '--arch', 'vit', '--patch', '5'], /ViT config: patch 5 must divide image 28\n$/);
  rejects(['train', '--arch', 'vit', '--activation', 'tanh'], /activation must be 'gelu' or 'relu', got 'tanh'/);
  rejects(['train', '--arch', 'vit', '--products', 'some'], /--products must be 'all', 'attention' or 'linear', got 'some'/);
  rejects(['train', '--arch', 'vit', '--finetune', mlp, '--width', '8'], /--width cannot be used with --finetune/);
  rejects(['train', '--arch', 'vit', '--finetune', mlp], /mlp-784-128-10\.safetensors: safetensors: a ViT file needs the __metadata__ key 'arch'/);
  rejects(['train', '--arch', 'vit', '--hidden', '64'], /^lmul train: error: unknown option --hidden\n$/);
  rejects(['eval-vit'], /^lmul eval-vit: error: --model FILE is required/);
  rejects(['eval-vit', '--model', mlp], /a ViT file needs the __metadata__ key 'arch'/);
  rejects(['eval-vit', '--model', mlp, '--formats', 'E9M2'], /--formats: plan 'float:E9M2': bad format 'E9M2': E must be 2\.\.8/);
  rejects(['eval-vit', '--model', mlp, '--methods', 'lmul,fast'], /method must be one of .*got 'fast'|'fast'/);
  rejects(['eval-vit', '--model', path.join(dir, 'none.safetensors')], /cannot open '.*none\.safetensors'/);
});

// The ViT in the native `lmul` tool: `lmul train --arch vit` writes a ViT file that `lmul eval`
// recognizes by its metadata (tables under the three plans, JSON, logits, --plan,
// --which-layer, --finetuned), and bad options end with status 1, nothing on stdout and one
// line on stderr naming the option and the problem.
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

test('lmul train --arch vit writes a ViT that lmul eval evaluates under the three plans', () => {
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

  const table = run('eval', '--model', model, '--limit', '200', '--methods', 'lmul',
    '--formats', 'E8M2,E4M3');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^model .*tiny-vit\.safetensors \(ViT patch 7, width 8, depth 2, heads 2, MLP 8 relu\), 200 test images/);
  // One table per plan, in this order, each with a row per format.
  const titles = [...table.stdout.matchAll(/^(every product|attention only|linear only)\b.*:$/gm)].map((m) => m[1]);
  assert.deepEqual(titles, ['every product', 'attention only', 'linear only']);
  assert.equal(table.stdout.match(/^\| format \| lmul \| ≠ exact \| time \|$/gm).length, 3);
  assert.equal(table.stdout.match(/^\| E8M2 \| \d+\.\d\d % \| \d+ \| \d+\.\d\d s \|$/gm).length, 3);
  assert.equal(table.stdout.match(/^\| E4M3 \(IEEE-style, max 240\) \| /gm).length, 3);

  const json = JSON.parse(run('eval', '--model', model, '--limit', '100', '--methods',
    'float,mitchell', '--formats', 'E8M3', '--json').stdout);
  assert.equal(json.images, 100);
  assert.equal(json.arch, 'vit');
  assert.equal(json.width, 8);
  assert.deepEqual(json.results.map((r) => `${r.method} ${r.format} ${r.products}`),
    ['exact fp32 all', 'float E8M3 all', 'float E8M3 attention', 'float E8M3 linear',
      'mitchell E8M3 all', 'mitchell E8M3 attention', 'mitchell E8M3 linear']);
  for (const r of json.results) assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.correct <= 100);
  assert.equal(json.results[0].differ_from_exact, 0);

  // The attention-only rows of the table are the plan linear=exact,attention=SPEC; layers go by
  // their PyTorch names too.
  const plan = JSON.parse(run('eval', '--model', model, '--limit', '100', '--plan',
    'linear=exact,attention=mitchell:E8M3', '--json').stdout);
  assert.equal(plan.plan, 'linear=exact,attention=mitchell:E8M3:nearest');
  assert.equal(plan.accuracy, json.results[5].accuracy);
  assert.equal(plan.differ_from_exact, json.results[5].differ_from_exact);
  const byName = JSON.parse(run('eval', '--model', model, '--limit', '50', '--plan',
    'exact,blocks.1.attn.scores=lmul:M1', '--json').stdout);
  assert.equal(byName.plan, 'exact,layer8=lmul:E8M1:nearest'); // patch_embed, then 6 per block

  const layers = run('eval', '--model', model, '--limit', '50', '--which-layer', '--formats', 'M1');
  assert.equal(layers.status, 0, layers.stderr);
  assert.match(layers.stdout, /\| format \| every layer \| only patch_embed \| only blocks\.0\.attn\.qkv \| only blocks\.0\.attn\.scores \|/);
  assert.match(layers.stdout, /\| only head \|\n/);

  const logits = JSON.parse(run('eval', '--model', model, '--logits', '3').stdout);
  assert.equal(logits.logits.length, 3);
  assert.equal(logits.logits[0].length, 10);
  assert.deepEqual(logits.labels, [7, 2, 1]); // the first MNIST test labels
});

test('lmul eval --finetuned: the shipped ViT fine-tune beside its base, at the plan it was tuned for', () => {
  const ft = path.join(root, 'models/vit-p7-w48-d3-ft-lmul-E8M1.safetensors');
  const r = run('eval', '--finetuned', ft, '--limit', '300', '--json');
  assert.equal(r.status, 0, r.stderr);
  const [row] = JSON.parse(r.stdout).finetuned;
  assert.match(row.base_model, /vit-p7-w48-d3\.safetensors$/);
  assert.equal(row.plan, 'lmul:E8M1:nearest');
  // The fine-tune recovers what L-Mul at M = 1 costs the base (79.82 % vs 98.75 % on all 10,000).
  assert.ok(row.finetuned_at_spec.accuracy > row.base_at_spec.accuracy + 0.05,
    `fine-tuned ${row.finetuned_at_spec.accuracy} vs base ${row.base_at_spec.accuracy}`);
});

test('lmul train --arch vit and lmul eval: bad options name the option and the problem', () => {
  rejects(['train', '--arch', 'cnn'], /^lmul train: error: --arch must be 'mlp' or 'vit', got 'cnn'\n$/);
  rejects(['train', '--arch', 'vit', '--heads', '5'], /ViT config: heads 5 must divide width 48\n$/);
  rejects(['train', '--arch', 'vit', '--patch', '5'], /ViT config: patch 5 must divide image 28\n$/);
  rejects(['train', '--arch', 'vit', '--activation', 'tanh'], /activation must be 'gelu' or 'relu', got 'tanh'/);
  rejects(['train', '--arch', 'vit', '--products', 'some'], /--products must be 'all', 'attention' or 'linear', got 'some'/);
  rejects(['train', '--arch', 'vit', '--finetune', mlp, '--width', '8'], /--width cannot be used with --finetune/);
  rejects(['train', '--arch', 'vit', '--finetune', mlp], /mlp-784-128-10\.safetensors: safetensors: a ViT file needs the __metadata__ key 'arch'/);
  rejects(['train', '--arch', 'vit', '--hidden', '64'], /^lmul train: error: unknown option --hidden\n$/);
  const vit = path.join(root, 'models/vit-p7-w48-d3.safetensors');
  rejects(['eval', '--model', vit, '--formats', 'E9M2'], /^lmul eval: error: --formats: plan 'float:E9M2': bad format 'E9M2': E must be 2\.\.8/);
  rejects(['eval', '--model', vit, '--formats', ','], /--formats needs at least one format/);
  rejects(['eval', '--model', vit, '--methods', 'lmul,fast'], /method must be one of .*got 'fast'|'fast'/);
  rejects(['eval', '--model', vit, '--methods', 'exact'], /--methods lists approximate multipliers; exact is always the first row/);
  rejects(['eval', '--model', vit, '--methods', 'lmul', '--plan', 'lmul:M3'], /--methods goes with the default table, not with --plan/);
  rejects(['eval', '--model', vit, '--logits', '3', '--plan', 'lmul:M3'], /--plan and --logits are separate tables: give one of them/);
  rejects(['eval', '--model', vit, '--logits', '0'], /--logits must be an integer in 1\.\.10000, got '0'/);
  rejects(['eval', '--model', vit, '--plan', 'blocks.9.attn.qkv=lmul'], /blocks\.9\.attn\.qkv/);
  rejects(['eval', '--model', path.join(dir, 'none.safetensors')], /cannot open '.*none\.safetensors'/);
});

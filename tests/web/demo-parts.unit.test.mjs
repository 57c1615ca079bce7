// The demo's pure parts, in Node without a browser: the preset table (from the package's
// FORMATS), the sweep's job list, the model catalogue (model lists, fine-tune rules, the built-in
// list against the model files' own metadata), the energy texts, and the files the package must
// ship for the element's module graph and its literal asset URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLMul, FORMATS } from '../../wasm/index.js';
import { PRESETS, presetFor } from '../../web/presets.js';
import { SWEEP_MS, sweepJobs } from '../../web/sweep.js';
import { MODELS } from '../../web/models.js';
import {
  builtInEntries, parseModelList, menuGroups, tunedSetting, isAtTuned, baseEntryOf, checkShape, Catalogue, PACKAGE_DEFAULT,
} from '../../web/catalogue.js';
import { energyTexts } from '../../web/energy.js';
import { assetUrl } from '../../web/assets.js';
import { safetensors } from './model-files.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageFiles = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).files;

test('presets: one per named format of the package, found again by presetFor', () => {
  for (const [id, f] of Object.entries(FORMATS)) {
    assert.deepEqual([PRESETS[id]?.E, PRESETS[id]?.M], [f.E, f.M], `preset ${id}`);
    assert.equal(presetFor(f.E, f.M), id);
    assert.match(PRESETS[id].label, new RegExp(`E${f.E}M${f.M}`));
  }
  const extra = Object.keys(PRESETS).filter((id) => !(id in FORMATS));
  assert.deepEqual(extra, ['e8', 'custom']);
  assert.equal(presetFor(8, 5), 'e8');
  assert.equal(presetFor(3, 2), 'custom');
  assert.equal(PRESETS.e4m3.label, 'E4M3 (IEEE-style, max 240)');
  assert.equal(PRESETS.bf16.label, 'bf16 (E8M7)');
});

test('sweep jobs: exact, then Float and L-Mul at every M; a comparison adds the base model', () => {
  const plain = sweepJobs({ E: 5, rounding: 'truncate', lmulMethod: 'lmul-formula' });
  assert.equal(plain.length, 1 + 2 * SWEEP_MS.length);
  assert.deepEqual(plain[0], { key: 'exact', opts: { method: 'exact', M: 23, E: 8, rounding: 'truncate' } });
  assert.deepEqual(plain.find((j) => j.key === 'lmul:3').opts, { method: 'lmul-formula', M: 3, E: 5, rounding: 'truncate' });
  assert.deepEqual(plain.find((j) => j.key === 'float:10').opts, { method: 'float', M: 10, E: 5, rounding: 'truncate' });
  assert.ok(plain.every((j) => j.model === undefined), 'plain jobs run on the sweep\'s own model');
  const compare = sweepJobs({ E: 8, rounding: 'nearest', lmulMethod: 'lmul' }, 'seed');
  assert.equal(compare.length, 2 + 3 * SWEEP_MS.length);
  const base = compare.filter((j) => j.model === 'seed');
  assert.deepEqual(base.map((j) => j.key), ['base:exact', ...SWEEP_MS.map((m) => `base:${m}`)]);
  assert.deepEqual(base[2].opts, { method: 'lmul', M: 2, E: 8, rounding: 'nearest' });
  assert.equal(new Set(compare.map((j) => j.key)).size, compare.length, 'keys are unique');
});

test('model lists: entries resolve against the list; every bad entry is named with its field and left out', () => {
  const listUrl = new URL('https://example.org/lists/models.json');
  const hostile = '<img src=x onerror=alert(1)>';
  const { entries, problems } = parseModelList({ models: [
    { id: 'a', name: 'Model A', src: '../m/a.safetensors', group: 'Mine', default: true },
    { id: 'pkg', name: 'Package model', src: PACKAGE_DEFAULT },
    { id: 'ft', name: 'Old-style fine-tune', src: 'ft.safetensors', finetuned: { method: hostile, E: hostile, rounding: hostile } },
    { id: 'b', src: 'b.safetensors' },
    { id: 7, name: 'Number id', src: 'c.safetensors' },
    { id: 'a', name: 'Twice', src: 'd.safetensors' },
    { id: 'js', name: 'Script', src: 'javascript:alert(1)' },
    { id: 'flag', name: 'Bad default', src: 'e.safetensors', default: 'yes' },
    'just a string',
    { id: hostile, name: hostile, src: `${hostile}.safetensors`, group: hostile },
  ] }, listUrl);
  assert.deepEqual(entries.map((e) => e.id), ['a', 'pkg', hostile]);
  assert.equal(entries[0].url.href, 'https://example.org/m/a.safetensors');
  assert.equal(entries[0].file, 'a.safetensors');
  assert.equal(entries[0].group, 'Mine');
  assert.equal(entries[0].default, true);
  assert.equal(entries[1].url, null); // lm.defaultModel()
  assert.equal(entries[2].name, hostile); // kept as text: the element never parses it as HTML
  assert.equal(entries[2].file, `${hostile}.safetensors`);
  assert.deepEqual(problems, [
    'entry 3 ("ft"): unknown field "finetuned"; allowed: id, name, src, group, default (a fine-tune\'s setting is read from its file)',
    'entry 4 ("b"): name must be a non-empty string of at most 200 characters, got undefined',
    'entry 5: id must be a non-empty string of at most 100 characters, got 7',
    'entry 6 ("a"): id "a" is listed twice',
    'entry 7 ("js"): src must be an http(s) URL or a path, got "javascript:alert(1)"',
    'entry 8 ("flag"): default must be true or false, got "yes"',
    'entry 9: must be an object, got "just a string"',
  ]);
  assert.throws(() => parseModelList([], listUrl), /must be a JSON object \{ "models"/);
  assert.throws(() => parseModelList({ models: {} }, listUrl), /must be a JSON object/);
});

test('the built-in catalogue: files exist and ship; fine-tunes carry their setting and base in their own files', async () => {
  const lm = await createLMul();
  const entries = builtInEntries();
  assert.equal(entries.filter((e) => e.default).length, 1);
  for (const m of MODELS) {
    assert.equal(path.basename(fileURLToPath(m.url)), m.file, `${m.id}: file name and URL differ`);
    assert.ok(fs.existsSync(fileURLToPath(m.url)), `${m.id}: ${m.file} does not exist`);
    assert.ok(packageFiles.includes(`models/${m.file}`), `${m.id}: models/${m.file} is not in package.json "files"`);
    const model = await lm.loadModel(fs.readFileSync(fileURLToPath(m.url)));
    checkShape(Array.from(model.layers), m.name);
    const tuned = tunedSetting(model.metadata);
    const base = baseEntryOf(model.metadata, entries);
    if (m.group === 'L-Mul-aware fine-tunes') {
      assert.ok(tuned, `${m.id}: its file names no tuned setting`);
      // The menu's name says what the file says.
      assert.ok(m.name.includes(`E${tuned.E}M${tuned.M}`), `${m.name} vs ${JSON.stringify(tuned)}`);
      assert.equal(m.name.includes('formula'), tuned.method === 'lmul-formula', m.name);
      assert.ok(base && !base.id.includes('-ft-'), `${m.id}: base ${base?.id}`);
      assert.equal(m.id.split('-ft-')[0], base.id);
    } else {
      assert.equal(tuned, null, `${m.id} is not a fine-tune`);
      assert.equal(base, null);
    }
    model.dispose();
  }
  assert.deepEqual(menuGroups(entries).map(([label, list]) => [label, list.length]), [['Trained with exact math', 3], ['L-Mul-aware fine-tunes', 7]]);
  // Under an assets base every file moves there; without one each keeps its literal URL.
  const base = new URL('https://cdn.example.org/static/lmul/');
  assert.ok(builtInEntries(base).every((e) => e.url.href === `https://cdn.example.org/static/lmul/models/${e.file}`));
  assert.equal(assetUrl(null, 'models/x', MODELS[0].url), MODELS[0].url);
});

test('fine-tune rules: tuned settings the controls can show, being at them, the base by file name', () => {
  const meta = (tuned, baseModel = null) => ({ tuned, baseModel, raw: {} });
  const t = tunedSetting(meta({ method: 'lmul-formula', E: 8, M: 1, rounding: 'nearest' }));
  assert.deepEqual(t, { method: 'lmul-formula', E: 8, M: 1, rounding: 'nearest', variant: 'formula' });
  assert.equal(tunedSetting(meta({ method: 'float', E: 5, M: 2, rounding: 'nearest' })), null); // no L-Mul variant to set
  assert.equal(tunedSetting(meta({ method: 'mitchell', E: 8, M: 2, rounding: 'nearest' })).variant, 'mitchell');
  assert.equal(tunedSetting(meta(null)), null);
  assert.equal(tunedSetting(undefined), null);
  assert.equal(isAtTuned(t, { E: 8, M: 1, rounding: 'nearest', variant: 'formula' }), true);
  assert.equal(isAtTuned(t, { E: 8, M: 1, rounding: 'nearest', variant: 'adder' }), false);
  assert.equal(isAtTuned(t, { E: 8, M: 2, rounding: 'nearest', variant: 'formula' }), false);
  const entries = builtInEntries();
  assert.equal(baseEntryOf(meta(t, 'models/mlp-784-128-10.safetensors'), entries).id, 'seed');
  assert.equal(baseEntryOf(meta(t, 'C:\\train\\mlp-784-128-128-128-128-10.safetensors'), entries).id, 'deep');
  assert.equal(baseEntryOf(meta(t, 'elsewhere/unknown.safetensors'), entries), null);
  assert.equal(baseEntryOf(meta(t, null), entries), null);
});

test('the metadata of a model file: tuned only from valid fields, hostile values stay raw text', async () => {
  const lm = await createLMul();
  const hostile = '<img src=x onerror=alert(1)>';
  const file = (metadata) => safetensors([784, 10], metadata);
  const good = await lm.loadModel(file({ method: 'lmul', E: '4', M: '3', rounding: 'truncate', base_model: 'models/x.safetensors' }));
  assert.deepEqual(good.metadata.tuned, { method: 'lmul', E: 4, M: 3, rounding: 'truncate' });
  assert.equal(good.metadata.baseModel, 'models/x.safetensors');
  for (const bad of [
    { method: hostile, E: '8', M: '1', rounding: 'nearest' },
    { method: 'lmul', E: hostile, M: '1', rounding: 'nearest' },
    { method: 'lmul', E: '8', M: '1', rounding: hostile },
    { method: 'lmul', E: '9', M: '1', rounding: 'nearest' },
    { method: 'lmul', E: '8', M: '1.5', rounding: 'nearest' },
    { method: 'lmul', E: '8', rounding: 'nearest' },
  ]) {
    const m = await lm.loadModel(file(bad));
    assert.equal(m.metadata.tuned, null, JSON.stringify(bad));
    assert.deepEqual(m.metadata.raw, bad);
    assert.equal(m.metadata.problems.length, 1, JSON.stringify(m.metadata.problems));
    assert.equal(tunedSetting(m.metadata), null);
    m.dispose();
  }
  good.dispose();
});

test('the model shape the demo needs: 784 inputs, 10 outputs, or an error naming both', () => {
  checkShape([784, 128, 10], 'ok');
  assert.throws(() => checkShape([784, 5], 'five'), { message: 'five has 5 outputs where the demo needs 10 (one per digit) (layers [784, 5])' });
  assert.throws(() => checkShape([64, 3], 'tiny'), /tiny has 64 inputs where the demo needs 784 \(28×28 pixels\) and 3 outputs/);
});

test('a model file the user loads is listed in its own menu group, replacing the previous one', () => {
  const c = new Catalogue(builtInEntries());
  const file = (name) => ({ name, size: 3 });
  c.addFile(Catalogue.fileEntry(file('one.safetensors'), new Uint8Array(3)));
  const two = c.addFile(Catalogue.fileEntry(file('<b>two</b>.safetensors'), new Uint8Array(3)));
  assert.equal(c.entries.filter((e) => e.bytes).length, 1);
  assert.equal(two.name, 'File: <b>two</b>.safetensors');
  assert.deepEqual(menuGroups(c.entries).map(([label]) => label), ['Trained with exact math', 'L-Mul-aware fine-tunes', 'From a file']);
  assert.equal(c.defaultEntry.id, 'seed');
});

test('energy texts follow the layer widths with the paper\'s per-operation figures', () => {
  const t = energyTexts([784, 128, 10]);
  const macs = 784 * 128 + 128 * 10;
  assert.equal(t.exact, `${((macs * 4.6) / 1000).toFixed(1)} nJ`);
  assert.equal(t.lmul, `${((macs * 1.0) / 1000).toFixed(1)} nJ (4.6× less)`);
  assert.match(t.formula, /layers \[784, 128, 10\] = 101,632\n/);
  assert.match(t.formula, /3\.7 \/ 0\.1 = 37× less energy$/);
  // Any network from its products per inference (a transformer's widths say nothing of them).
  const v = energyTexts([], 1000000);
  assert.equal(v.exact, '4600.0 nJ');
  assert.match(v.formula, /^multiply-adds N = products of every layer \(model\.describe\(\)\) = 1,000,000\n/);
});

test('the package ships every module the element and its worker import, and every file they name', () => {
  const seen = new Set();
  const literal = /new URL\('(\.\.?\/[^']+)', import\.meta\.url\)/g;
  const imports = /^(?:import|export)\s[^'"]*from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gm;
  const visit = (file) => {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (seen.has(rel)) return;
    seen.add(rel);
    assert.ok(fs.existsSync(file), `${rel} does not exist`);
    if (!rel.endsWith('.js') && !rel.endsWith('.mjs')) return;
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(imports)) visit(path.resolve(path.dirname(file), m[1] ?? m[2]));
    for (const m of source.matchAll(literal)) visit(path.resolve(path.dirname(file), m[1]));
  };
  visit(path.join(root, 'web/lmul-digit-demo.js'));
  for (const rel of ['web/sweep-worker.js', 'web/data/mnist-t10k.bin', 'dist/lmul.wasm', 'models/mlp-784-128-10.safetensors', 'wasm/index.js'])
    assert.ok(seen.has(rel), `${rel} is not reached from web/lmul-digit-demo.js`);
  for (const rel of seen) assert.ok(packageFiles.includes(rel), `${rel} is used by the element but not in package.json "files"`);
  assert.ok(packageFiles.includes('web/lmul-digit-demo.d.ts'));
  console.log(`the element's module graph: ${seen.size} files, all in the package`);
});

test('number texts: counts with thousands separators (no Intl on the way to the first prediction), true minus signs', async () => {
  const { int, relErr, signed, duration } = await import('../../web/format.js');
  assert.deepEqual([0, 7, 999, 1000, 12345, 784000, 1234567, -1234567, '10000', 2.6].map(int),
    ['0', '7', '999', '1,000', '12,345', '784,000', '1,234,567', '-1,234,567', '10,000', '3']);
  for (let k = 0; k < 200; ++k) {
    const v = Math.round((Math.random() - 0.5) * 10 ** (1 + Math.floor(Math.random() * 9))) || 0;
    assert.equal(int(v), v.toLocaleString('en-US'), `int(${v})`);
  }
  assert.equal(relErr(-0.0123), '−1.23 %');
  assert.equal(relErr(3.1e-5), '3.10e-5');
  assert.equal(signed(0.5), '+50.0 %');
  assert.equal(duration(200), '3 min 20 s');
});

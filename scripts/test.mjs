#!/usr/bin/env node
// Runs every test suite of the project, streams their output, and ends with one line:
//   N passed, N failed
// counting individual tests (ctest tests, node:test tests). Exit status is non-zero when any
// test or suite failed. `node scripts/test.mjs <name>...` runs only the named suites.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ctest = (dir, extra = []) => ['ctest', ['--test-dir', dir, '--output-on-failure', ...extra]];
const nodeTest = (dir) => ['node', ['--test', '--test-reporter=spec', '--test-concurrency=1',
  ...globTests(dir)]];

function globTests(dir) {
  return [`${dir}/`];
}

// name -> [command, args, parser]
const SUITES = [
  { name: 'core-native', cmd: ctest('build/native'), parse: parseCtest },
  // The core suite built for SSE4.1 only and for the x86-64 baseline (SSE2): the kernels'
  // paths for machines without AVX2 or SSE4.1 (the slow exhaustive test is left out).
  { name: 'core-sse41', cmd: ctest('build/native-sse41', ['-LE', 'slow']), parse: parseCtest },
  { name: 'core-baseline', cmd: ctest('build/native-baseline', ['-LE', 'slow']), parse: parseCtest },
  { name: 'core-wasm', cmd: ctest('build/wasm'), parse: parseCtest },
  // The native tests under ASan (with LeakSanitizer) + UBSan; the slow exhaustive test is left
  // out. Also replays the fuzz corpus and checks that the sanitizers are active.
  { name: 'core-asan', cmd: ctest('build/asan', ['-LE', 'slow']), parse: parseCtest,
    env: { ASAN_OPTIONS: 'detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' } },
  { name: 'cli', cmd: nodeTest('tests/cli'), parse: parseNodeTest, when: 'tests/cli' },
  { name: 'package', cmd: nodeTest('tests/package'), parse: parseNodeTest, when: 'tests/package' },
  { name: 'web', cmd: nodeTest('tests/web'), parse: parseNodeTest, when: 'tests/web' },
  // npm start's static server and the built site/ under its Content-Security-Policy.
  { name: 'server', cmd: nodeTest('tests/server'), parse: parseNodeTest, when: 'tests/server' },
  // The packed tarball in fixture projects (Vite, webpack, esbuild, import map, Node) and site/
  // from a subpath, each walked through in Chromium.
  { name: 'embed', cmd: nodeTest('tests/embed'), parse: parseNodeTest, when: 'tests/embed' },
  // libFuzzer targets, LMUL_FUZZ_SECONDS (default 60) each from the seed corpus.
  { name: 'fuzz', cmd: ['node', ['tests/fuzz/run.mjs', '--ci']], parse: parseFuzz },
];

function parseCtest(out) {
  const m = out.match(/(\d+)% tests passed, (\d+) tests? failed out of (\d+)/);
  if (!m) return null;
  const failed = Number(m[2]), total = Number(m[3]);
  return { passed: total - failed, failed };
}

function parseNodeTest(out) {
  // spec reporter summary: "ℹ pass 12" / "ℹ fail 0"
  const pass = out.match(/^\S*\s*pass (\d+)$/m), fail = out.match(/^\S*\s*fail (\d+)$/m);
  if (!pass || !fail) return null;
  return { passed: Number(pass[1]), failed: Number(fail[1]) };
}

function parseFuzz(out) {
  const m = out.match(/^fuzz: (\d+) passed, (\d+) failed$/m);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
}

function run({ name, cmd: [command, args], parse, env }) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('error', (err) => resolve({ name, passed: 0, failed: 1, note: err.message }));
    child.on('close', (code) => {
      const counts = parse(out) ?? { passed: 0, failed: 1 };
      // A suite that exits non-zero must count as at least one failure.
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      resolve({ name, ...counts, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const only = process.argv.slice(2);
const selected = SUITES.filter((s) => (only.length ? only.includes(s.name) : true))
  .filter((s) => !s.when || existsSync(path.join(root, s.when)));
const results = [];
for (const suite of selected) results.push(await run(suite));

console.log('\n=== summary');
for (const r of results)
  console.log(`${r.name.padEnd(14)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${r.seconds?.toFixed(1) ?? '-'} s${r.note ? '  ' + r.note : ''}`);
const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

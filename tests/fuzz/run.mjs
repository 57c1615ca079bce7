#!/usr/bin/env node
// Runs the libFuzzer targets of tests/fuzz for a fixed time each and prints a summary.
//
//   node tests/fuzz/run.mjs [--ci] [--no-build] [target...]      (npm run fuzz)
//
//   LMUL_FUZZ_SECONDS  seconds per target (default 60)
//   LMUL_FUZZ_JOBS     targets run in parallel (default 2)
//   --ci               start from the committed seed corpus only (tests/fuzz/corpus/<target>);
//                      without it, inputs found by earlier runs (build/fuzz/corpus/<target>)
//                      are kept and extended
//   --no-build         do not run `bash scripts/build.sh fuzz` first
//
// Crashes, failed invariants (FUZZ_CHECK), leaks, timeouts (> 10 s for one input) and
// out-of-memory (> 2.5 GB) fail a target; the input is saved under build/fuzz/artifacts/ and
// the summary says how to replay it. The last line is "fuzz: N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rel = (p) => path.relative(root, p);

// name -> libFuzzer options of the target
const TARGETS = {
  safetensors: ['-max_len=8192', `-dict=${path.join(root, 'tests/fuzz/safetensors.dict')}`],
  idx: ['-max_len=4096', `-dict=${path.join(root, 'tests/fuzz/idx.dict')}`],
  numerics: ['-max_len=1040', '-use_value_profile=1'],
  preprocess: ['-max_len=8192'],
};

const argv = process.argv.slice(2);
const ci = argv.includes('--ci');
const build = !argv.includes('--no-build');
const named = argv.filter((a) => !a.startsWith('--'));
for (const t of named)
  if (!TARGETS[t]) {
    console.error(`fuzz: unknown target '${t}' (targets: ${Object.keys(TARGETS).join(', ')})`);
    process.exit(2);
  }
const targets = named.length ? named : Object.keys(TARGETS);
const positive = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    console.error(`fuzz: ${name} must be a positive integer, got '${v}'`);
    process.exit(2);
  }
  return Number(v);
};
const seconds = positive('LMUL_FUZZ_SECONDS', 60);
const jobs = positive('LMUL_FUZZ_JOBS', 2);

if (build) {
  const r = spawnSync('bash', ['scripts/build.sh', 'fuzz'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.log('fuzz: build failed\nfuzz: 0 passed, 1 failed');
    process.exit(1);
  }
}

const buildDir = path.join(root, 'build/fuzz');
function runTarget(name) {
  const binary = path.join(buildDir, `fuzz_${name}`);
  const seeds = path.join(root, 'tests/fuzz/corpus', name);
  const work = path.join(buildDir, 'corpus', name);
  const artifacts = path.join(buildDir, 'artifacts', name);
  const logFile = path.join(buildDir, 'logs', `${name}.log`);
  if (ci) rmSync(work, { recursive: true, force: true });
  for (const d of [work, artifacts, path.dirname(logFile)]) mkdirSync(d, { recursive: true });
  const before = new Set(readdirSync(artifacts));
  // New inputs go to the first folder (build/fuzz/corpus/NAME); the seeds are only read.
  const args = [work, seeds, `-max_total_time=${seconds}`, '-timeout=10', '-rss_limit_mb=2560',
    `-artifact_prefix=${artifacts}/`, '-print_final_stats=1', ...TARGETS[name]];
  return new Promise((resolve) => {
    const started = Date.now();
    const log = createWriteStream(logFile);
    log.write(`${rel(binary)} ${args.join(' ')}\n`);
    if (!existsSync(binary)) {
      log.end();
      resolve({ name, ok: false, seconds: 0, detail: `${rel(binary)} is missing (bash scripts/build.sh fuzz)` });
      return;
    }
    const child = spawn(binary, args, { cwd: buildDir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    // libFuzzer stops itself; this only guards against a hang outside its control.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 300) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      log.end(() => {
        const text = readFileSync(logFile, 'utf8');
        const done = text.match(/Done (\d+) runs in (\d+) second/);
        const cov = [...text.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
        const seed = text.match(/Seed: (\d+)/);
        const found = readdirSync(artifacts).filter((f) => !before.has(f));
        const ok = code === 0 && !!done && found.length === 0;
        resolve({
          name, ok, seconds: (Date.now() - started) / 1000, log: logFile, text,
          runs: done ? Number(done[1]) : 0, cov: cov ? Number(cov[1]) : 0,
          corpus: cov ? Number(cov[3]) : 0, seed: seed ? seed[1] : '?',
          artifacts: found.map((f) => path.join(artifacts, f)),
          detail: ok ? '' : `exit ${code ?? signal}`,
        });
      });
    });
  });
}

console.log(`fuzz: ${targets.length} targets, ${seconds} s each, ${jobs} at a time` +
  (ci ? ', from the seed corpus' : ''));
const queue = [...targets];
const results = [];
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  while (queue.length) {
    const r = await runTarget(queue.shift());
    results.push(r);
    console.log(`fuzz ${r.name}: ${r.ok ? 'ok' : 'FAILED'} (${r.seconds.toFixed(1)} s)`);
  }
}));

results.sort((a, b) => targets.indexOf(a.name) - targets.indexOf(b.name));
for (const r of results.filter((x) => !x.ok)) {
  console.log(`\n--- fuzz ${r.name} failed (${r.detail}); last lines of ${r.log ? rel(r.log) : '-'}:`);
  if (r.text) console.log(r.text.trim().split('\n').slice(-40).join('\n'));
  for (const a of r.artifacts ?? []) {
    console.log(`input saved: ${rel(a)}`);
    console.log(`  replay:  build/fuzz/fuzz_${r.name} ${rel(a)}`);
    console.log(`  keep it: cp ${rel(a)} tests/fuzz/corpus/${r.name}/regress-<what-it-breaks>` +
      ' (and add a doctest case)');
  }
}
console.log('\n=== fuzz summary');
for (const r of results)
  console.log(`${r.name.padEnd(12)} ${r.ok ? 'ok    ' : 'FAILED'} ${String(r.runs).padStart(10)} runs` +
    `  ${r.seconds.toFixed(1).padStart(6)} s  cov ${String(r.cov).padStart(5)}` +
    `  corpus ${String(r.corpus).padStart(5)}  seed ${r.seed}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`fuzz: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

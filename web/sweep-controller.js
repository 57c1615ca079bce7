// The test-set sweep section: runs a sweep for the current model and settings on the worker
// pool (sweep.js) and shows it — progress and status, the accuracy-vs-M chart, the table, its
// caption, and for a fine-tune the comparison with its base model — and clears it when the
// model changes. The element supplies the model, the settings and the test set.
import { SweepRunner, SWEEP_MS, sweepJobs, defaultPoolSize, estimateSweep, LONG_SWEEP_SECONDS } from './sweep.js';
import { sweepChart } from './charts.js';
import { METHOD_OF_VARIANT, isAtTuned } from './catalogue.js';
import { tuneButton } from './model-view.js';
import { duration, int, pct, points } from './format.js';

const PLAIN_COLUMNS = [['f', 'Float'], ['l', 'L-Mul'], ['d', 'L-Mul − Float', 'L-Mul accuracy minus Float accuracy, in percentage points']];
const COMPARE_COLUMNS = [['f', 'Float'], ['b', 'L-Mul base'], ['l', 'L-Mul tuned'],
  ['g', 'Tuned − base', 'Fine-tuned L-Mul accuracy minus the base model’s, in percentage points']];

export class SweepController {
  #refs;
  #host;
  #chart = null;
  #chartView = null; // what the chart was built for: 'plain' or the comparison it shows
  #runner = null;
  #base = null;
  #connected = false;
  #confirmed = false; // "run it anyway" was clicked

  constructor(refs, host) {
    this.#refs = refs;
    this.#host = host;
    this.#table(null);
  }

  get running() {
    return this.#runner?.running ?? false;
  }

  connect() {
    this.#connected = true;
    this.#chart ??= this.#makeChart(null);
  }
  // Releases the chart and the workers (a running sweep ends as cancelled).
  disconnect() {
    this.#connected = false;
    this.#runner?.terminate();
    this.#runner = null;
    this.#chart?.destroy();
    this.#chart = null;
    this.#chartView = null;
  }
  retheme() {
    this.#chart?.build();
  }

  // Where the workers load their files from (the assets base URL, or null): new workers next time.
  setAssetsBase(base) {
    if (String(base) === String(this.#base)) return;
    this.#base = base;
    this.#runner?.terminate();
    this.#runner = null;
  }

  cancel() {
    this.#runner?.cancel();
  }

  // The status line says how long the sweep would take, with a button that runs it (with the
  // settings of that moment, as Run sweep does).
  #askFirst(text) {
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: 'run it anyway' });
    button.dataset.testid = 'sweep-confirm';
    button.addEventListener('click', () => {
      this.#confirmed = true;
      this.#refs.sweepStart.click();
    }, { once: true });
    this.#refs.sweepStatus.replaceChildren(text, button, '.'); // gone with the next status
  }

  // Back to "Run the sweep" (another model: the numbers on screen were not its).
  reset() {
    const r = this.#refs;
    this.cancel();
    this.#table(null);
    this.#show(null);
    r.sweepTable.dataset.state = 'empty';
    delete r.sweepTable.dataset.seconds;
    r.sweepCaption.textContent = 'Run the sweep to fill this table.';
    r.sweepStatus.textContent = '';
    r.sweepProgress.value = 0;
  }

  // One sweep over the first n test images. model: { entry, handle, bytes, tuned, base } (a
  // fine-tune with a listed base is compared with it); baseBytes(entry) and dataset() load what
  // it needs. With confirmLong (a click on Run sweep), a sweep estimated to take longer than
  // LONG_SWEEP_SECONDS only says how long and offers to run it anyway. Resolves to
  // { cancelled, seconds, accuracy }, or null if a sweep is already running or waits for that
  // confirmation; rejects (after showing why) when it fails.
  async run({ n, settings: s, model, baseBytes, dataset, confirmLong = false }) {
    if (this.running) return null;
    const confirmed = this.#confirmed;
    this.#confirmed = false;
    const r = this.#refs;
    const lmulMethod = METHOD_OF_VARIANT[s.variant];
    const t = model.tuned;
    // A fine-tune is swept next to its base; its tuned M is marked when this sweep's E, variant
    // and rounding are the ones it was tuned for (otherwise no M on this axis is).
    const compare = t && model.base ? { t, base: model.base, tunedM: isAtTuned(t, { ...s, M: t.M }) ? t.M : null } : null;
    const jobs = sweepJobs({ E: s.E, rounding: s.rounding, lmulMethod }, compare ? compare.base.id : null);
    if (confirmLong && !confirmed) {
      const workers = Math.min(jobs.length, this.#runner?.size ?? defaultPoolSize());
      // Without the test images (or when the model cannot evaluate) there is no estimate: the
      // sweep below then fails and shows why.
      const e = await dataset().then((data) => estimateSweep(model.handle, data, { jobs: jobs.length, images: n, workers })).catch(() => null);
      if (e && e.seconds > LONG_SWEEP_SECONDS && !this.running) {
        this.#askFirst(`This sweep will take about ${duration(e.seconds)}: ${jobs.length} configurations × ${int(n)} images × ` +
          `${int(e.products)} products each, at ${int(Math.round(e.rate / 1e6))} M products/s (measured now) on each of ${workers} workers. ` +
          'Choose fewer images for a quicker one, or ');
        return null;
      }
    }
    this.#table(compare);
    this.#show(compare);
    r.sweepStart.disabled = true;
    r.sweepCancel.disabled = false;
    r.sweepTable.dataset.state = 'running';
    delete r.sweepTable.dataset.seconds;
    r.sweepProgress.value = 0;
    r.sweepStatus.textContent = 'Loading the test images…';
    r.sweepCaption.textContent = 'Running…';

    const blank = () => SWEEP_MS.map(() => null);
    const acc = { exact: null, float: blank(), lmul: blank(), baseExact: null, base: blank() };
    const p100 = (v) => (v == null ? null : v * 100);
    const redraw = () => {
      const series = [SWEEP_MS, SWEEP_MS.map(() => p100(acc.exact)), acc.float.map(p100), acc.lmul.map(p100)];
      if (compare) series.push(acc.base.map(p100));
      this.#chart?.setData(series);
    };
    const cell = (m, cls) => r.sweepTable.querySelector(`tr[data-m="${m}"] td.${cls}`);
    const where = `Accuracy at E${s.E}, ${s.rounding}, L-Mul ${s.variant}`;
    const caption = () => {
      if (acc.exact == null) return;
      r.sweepCaption.textContent = compare
        ? `Exact fp32: fine-tuned ${pct(acc.exact)}, base ${acc.baseExact == null ? '…' : pct(acc.baseExact)} on ${int(n)} images. ` +
          `${where}; “${model.entry.name}” against its base “${compare.base.name}”.`
        : `Exact fp32: ${pct(acc.exact)} on ${int(n)} images. ${where}, model “${model.entry.name}”.`;
    };
    const onResult = (key, res) => {
      const [kind, m] = key.split(':');
      const i = Number(m) - 1;
      if (kind === 'exact') acc.exact = res.accuracy;
      else if (kind === 'base' && m === 'exact') acc.baseExact = res.accuracy;
      else {
        acc[kind][i] = res.accuracy;
        cell(m, { float: 'f', lmul: 'l', base: 'b' }[kind]).textContent = pct(res.accuracy);
        const f = acc.float[i], l = acc.lmul[i], b = acc.base[i];
        if (!compare && f != null && l != null) cell(m, 'd').textContent = points(l - f);
        if (compare && b != null && l != null) cell(m, 'g').textContent = points(l - b);
      }
      caption();
      redraw();
    };

    redraw();
    try {
      const data = await dataset();
      const models = [{ key: model.entry.id, bytes: model.bytes }];
      if (compare) models.push({ key: compare.base.id, bytes: await baseBytes(compare.base) });
      if (!this.#connected) return { cancelled: true, seconds: 0, accuracy: acc }; // removed meanwhile: no workers
      this.#runner ??= new SweepRunner({ base: this.#base });
      r.sweepStatus.textContent = `Evaluating ${int(n)} images × ${jobs.length} configurations on ${this.#runner.size} workers…`;
      const t0 = performance.now();
      const out = await this.#runner.run({
        dataset: data, models, jobs, n, onResult,
        onProgress: (done, total) => { r.sweepProgress.value = done / total; },
      });
      const seconds = (performance.now() - t0) / 1000;
      if (out.cancelled) {
        r.sweepStatus.textContent = 'Cancelled.';
        r.sweepTable.dataset.state = 'cancelled';
        if (acc.exact == null) r.sweepCaption.textContent = 'Cancelled before the first result.';
      } else {
        r.sweepProgress.value = 1;
        r.sweepStatus.textContent = `Done: ${jobs.length} configurations × ${int(n)} images in ${seconds.toFixed(2)} s (${this.#runner.size} workers).`;
        r.sweepTable.dataset.state = 'done';
        r.sweepTable.dataset.seconds = seconds.toFixed(3);
        if (compare) this.#comparison(compare, s, acc, n);
      }
      return { cancelled: out.cancelled, seconds, accuracy: acc };
    } catch (err) {
      r.sweepStatus.textContent = `Sweep failed: ${err.message ?? err}`;
      r.sweepCaption.textContent = acc.exact == null ? 'No results: the sweep failed.' : 'Partial results: the sweep failed.';
      r.sweepTable.dataset.state = 'error';
      this.#runner?.terminate();
      this.#runner = null;
      throw err;
    } finally {
      r.sweepStart.disabled = false;
      r.sweepCancel.disabled = true;
    }
  }

  // The table's head and body for a plain sweep or a comparison ({ tunedM }).
  #table(compare) {
    const table = this.#refs.sweepTable;
    const cols = compare ? COMPARE_COLUMNS : PLAIN_COLUMNS;
    const head = document.createElement('thead'), body = document.createElement('tbody');
    const th = (text, props = {}) => Object.assign(document.createElement('th'), { textContent: text, ...props });
    const row = document.createElement('tr');
    row.append(th('M', { scope: 'col' }), ...cols.map(([, text, title]) => th(text, { scope: 'col', ...(title ? { title } : {}) })));
    head.append(row);
    for (const m of SWEEP_MS) {
      const tr = document.createElement('tr');
      tr.dataset.m = String(m);
      const label = th(String(m), { scope: 'row' });
      if (compare?.tunedM === m) {
        tr.className = 'tuned';
        const tag = Object.assign(document.createElement('span'), { className: 'tag', textContent: 'tuned', title: 'The M this model was fine-tuned for' });
        label.append(' ', tag);
      }
      tr.append(label, ...cols.map(([cls]) => Object.assign(document.createElement('td'), { className: cls, textContent: '—' })));
      body.append(tr);
    }
    for (const part of [table.tHead, ...table.tBodies]) part?.remove();
    table.append(head, body);
    table.dataset.compare = String(!!compare);
  }

  // The chart (plain, or with the base model's curve and the tuned M) and the comparison line, hidden.
  #show(compare) {
    const r = this.#refs;
    r.sweepCompare.hidden = true;
    r.sweepCompare.replaceChildren();
    const view = compare ? `compare:${compare.base.name}:${compare.tunedM}` : 'plain';
    if (this.#chart && view !== this.#chartView) {
      this.#chart.destroy();
      this.#chart = this.#makeChart(compare);
    }
    this.#chart?.setData([SWEEP_MS, ...Array.from({ length: compare ? 4 : 3 }, () => SWEEP_MS.map(() => null))]);
  }

  #makeChart(compare) {
    const box = this.#refs.sweepChart;
    box.textContent = '';
    this.#chartView = compare ? `compare:${compare.base.name}:${compare.tunedM}` : 'plain';
    box.setAttribute('aria-label', compare
      ? 'Accuracy against M for the fine-tuned model and its base; the table has the same numbers'
      : 'Accuracy against M; the table has the same numbers');
    return sweepChart(box, this.#host, SWEEP_MS, compare && { tunedM: compare.tunedM, baseName: compare.base.name });
  }

  // "At M=1 (lmul, E8): base 96.80 % → fine-tuned 97.30 % (+0.50 points), on 1,000 test images."
  #comparison({ t, tunedM }, s, acc, n) {
    const line = this.#refs.sweepCompare;
    const method = METHOD_OF_VARIANT[s.variant];
    const bold = (text) => Object.assign(document.createElement('b'), { textContent: text });
    const at = (M) => {
      const b = acc.base[M - 1], f = acc.lmul[M - 1];
      return [`At M=${M} (${method}, E${s.E}): base `, bold(pct(b)), ' → fine-tuned ', bold(pct(f)), ` (${points(f - b)} points)`];
    };
    const images = `${int(n)} test images`;
    if (tunedM != null) {
      line.dataset.state = 'tuned';
      line.replaceChildren(...at(tunedM), `, on ${images}.`);
    } else {
      line.dataset.state = 'away';
      line.replaceChildren(
        `This model was tuned for ${t.method} E${t.E}M${t.M}, ${t.rounding}; this sweep ran at E${s.E}, ${method}, ${s.rounding}, ` +
          'so no M here is its tuned setting. ', ...at(Math.min(t.M, SWEEP_MS.length)), `, on ${images}. `, tuneButton(t), ' and run again to compare there.');
    }
    line.hidden = false;
  }
}

// The test-set sweep section: runs a sweep for the current model, settings and plan on the
// worker pool (sweep.js) and shows it — progress and status, the accuracy-vs-M chart with its
// legend buttons, the table and its caption (a cancelled sweep marks its partial rows; a failed
// one says why where the table is), the CSV and JSON downloads, and for a fine-tune the
// comparison with its base model — and clears it when the model changes. The element supplies
// the model, the settings, the plan and the test set (request()), and starts a sweep.
import { SweepRunner, SWEEP_MS, sweepJobs, defaultPoolSize, estimateSweep, LONG_SWEEP_SECONDS } from './sweep.js';
import { sweepChart, sweepSeries } from './charts.js';
import { METHOD_OF_VARIANT, isAtTuned } from './catalogue.js';
import { tuneButton } from './model-view.js';
import { duration, int, pct, points } from './format.js';
import { slug, sweepCsv, sweepJson } from './export.js';

// What the chart and its legend need of a comparison: { tunedM, baseName }, or null.
const chartCompare = (compare) => compare && { tunedM: compare.tunedM, baseName: compare.base.name };

const PLAIN_COLUMNS = [['f', 'Float'], ['l', 'L-Mul'], ['d', 'L-Mul − Float', 'L-Mul accuracy minus Float accuracy, in percentage points']];
const COMPARE_COLUMNS = [['f', 'Float'], ['b', 'L-Mul base'], ['l', 'L-Mul tuned'],
  ['g', 'Tuned − base', 'Fine-tuned L-Mul accuracy minus the base model’s, in percentage points']];

const node = (tag, props = {}) => Object.assign(document.createElement(tag), props);

// "M = 1..3", "M = 1, 2 and 5": the Ms whose rows are complete.
export function completeRange(ms) {
  if (!ms.length) return '';
  const run = ms.every((m, i) => m === ms[0] + i);
  if (run) return ms.length === 1 ? `M = ${ms[0]}` : `M = ${ms[0]}..${ms[ms.length - 1]}`;
  return `M = ${ms.slice(0, -1).join(', ')} and ${ms[ms.length - 1]}`;
}

export class SweepController {
  #refs;
  #host;
  #downloads;
  #chart = null;
  #chartView = null; // what the chart was built for: 'plain' or the comparison it shows
  #runner = null;
  #base = null;
  #connected = false;
  #record = null; // the last sweep, for the downloads
  #confirmed = false; // "run it anyway" was clicked
  #request;

  // request(): what a sweep started now runs, { model, settings, plan, baseBytes, dataset } (see
  // run()); model is null while there is none.
  constructor(refs, host, downloads, { request }) {
    this.#refs = refs;
    this.#host = host;
    this.#downloads = downloads;
    this.#request = request;
    refs.sweepCancel.addEventListener('click', () => this.cancel());
    this.#table(null);
    this.#legend(null);
    refs.sweepLegend.addEventListener('click', (e) => {
      const b = e.target.closest?.('button[data-series]');
      if (!b) return;
      const on = b.getAttribute('aria-pressed') !== 'true';
      b.setAttribute('aria-pressed', String(on));
      this.#chart?.show(Number(b.dataset.series), on);
    });
    refs.sweepCsv.addEventListener('click', () => this.#download('csv'));
    refs.sweepJson.addEventListener('click', () => this.#download('json'));
  }

  get running() {
    return this.#runner?.running ?? false;
  }
  get chart() {
    return this.#chart;
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
    r.sweepError.hidden = true;
    r.sweepProgress.value = 0;
    this.#record = null;
    r.sweepCsv.disabled = r.sweepJson.disabled = true;
  }

  // One sweep over the first n test images of what request() gives: model: { entry, handle,
  // bytes, tuned, base } (a fine-tune with a listed base is compared with it); settings; plan:
  // { option, text } (the exact layers, as model.predict's plan option and as the L-Mul column's
  // plan text); baseBytes(entry) and dataset() load what it needs. With confirmLong (a click on
  // Run sweep), a sweep estimated to take longer than LONG_SWEEP_SECONDS only says how long and
  // offers to run it anyway. Resolves to { cancelled, seconds, accuracy }, or null if there is no
  // model, a sweep is already running or waits for that confirmation; rejects (after showing
  // why) when it fails.
  async run(n, { confirmLong = false } = {}) {
    const { settings: s, model, plan, baseBytes, dataset } = this.#request();
    if (!model || this.running) return null;
    const confirmed = this.#confirmed;
    this.#confirmed = false;
    const r = this.#refs;
    const lmulMethod = METHOD_OF_VARIANT[s.variant];
    const t = model.tuned;
    // A fine-tune is swept next to its base; its tuned M is marked when this sweep's E, variant
    // and rounding are the ones it was tuned for (otherwise no M on this axis is).
    const compare = t && model.base ? { t, base: model.base, tunedM: isAtTuned(t, { ...s, M: t.M }) ? t.M : null } : null;
    const jobs = sweepJobs({ E: s.E, rounding: s.rounding, lmulMethod, plan: plan.option }, compare ? compare.base.id : null);
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
    // Focus stays on a control that exists: Run is disabled while the sweep runs, Cancel after.
    const hadFocus = this.#host.shadowRoot.activeElement === r.sweepStart;
    r.sweepStart.disabled = true;
    r.sweepCancel.disabled = false;
    if (hadFocus) r.sweepCancel.focus();
    r.sweepTable.dataset.state = 'running';
    delete r.sweepTable.dataset.seconds;
    r.sweepError.hidden = true;
    r.sweepCsv.disabled = r.sweepJson.disabled = true;
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
    const where = `Accuracy at E${s.E}, ${s.rounding}, L-Mul ${s.variant}, plan ${plan.text}`;
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
    const complete = (i) => acc.float[i] != null && acc.lmul[i] != null && (!compare || acc.base[i] != null);
    const record = (state) => ({
      model: { id: model.entry.id, name: model.entry.name }, base: compare ? { id: compare.base.id, name: compare.base.name } : null,
      settings: { E: s.E, rounding: s.rounding, variant: s.variant, method: lmulMethod }, plan: plan.text, images: n, state,
      exact: acc.exact, baseExact: compare ? acc.baseExact : null,
      rows: SWEEP_MS.map((M, i) => ({ M, float: acc.float[i], lmul: acc.lmul[i], base: compare ? acc.base[i] : null, complete: complete(i) })),
    });
    const keepFocus = () => {
      const lost = this.#host.shadowRoot.activeElement === r.sweepCancel;
      r.sweepStart.disabled = false;
      r.sweepCancel.disabled = true;
      if (lost) r.sweepStart.focus();
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
      if (out.cancelled) this.#cancelled(complete, Math.round(r.sweepProgress.value * 100));
      else {
        r.sweepProgress.value = 1;
        r.sweepStatus.textContent = `Done: ${jobs.length} configurations × ${int(n)} images in ${seconds.toFixed(2)} s (${this.#runner.size} workers).`;
        r.sweepTable.dataset.state = 'done';
        r.sweepTable.dataset.seconds = seconds.toFixed(3);
        if (compare) this.#comparison(compare, s, acc, n);
      }
      this.#finish(record(out.cancelled ? 'cancelled' : 'done'));
      return { cancelled: out.cancelled, seconds, accuracy: acc };
    } catch (err) {
      const message = err.message ?? String(err);
      r.sweepStatus.textContent = 'The sweep failed.';
      r.sweepError.textContent = `The sweep failed: ${message}`;
      r.sweepError.hidden = false;
      r.sweepCaption.textContent = acc.exact == null ? 'No results: the sweep failed.' : 'Partial results: the sweep failed.';
      this.#markPartial(complete);
      r.sweepTable.dataset.state = 'error';
      this.#runner?.terminate();
      this.#runner = null;
      if (acc.exact != null) this.#finish(record('failed'));
      throw err;
    } finally {
      keepFocus();
    }
  }

  // A cancelled sweep: what it measured, and which rows are complete.
  #cancelled(complete, percent) {
    const r = this.#refs;
    const done = SWEEP_MS.filter((m, i) => complete(i));
    r.sweepStatus.textContent = `Cancelled at ${percent} %.`;
    r.sweepTable.dataset.state = 'cancelled';
    r.sweepCaption.textContent = done.length ? `Cancelled — partial results for ${completeRange(done)}; rows marked “partial” are incomplete.`
      : 'Cancelled before any M was complete; rows marked “partial” are incomplete.';
    this.#markPartial(complete);
  }

  // Rows with a result missing get a "partial" tag (and cells without one say "not run").
  #markPartial(complete) {
    SWEEP_MS.forEach((m, i) => {
      if (complete(i)) return;
      const tr = this.#refs.sweepTable.querySelector(`tr[data-m="${m}"]`);
      tr.classList.add('partial');
      tr.dataset.partial = 'true';
      tr.cells[0].append(' ', node('span', { className: 'tag partial', textContent: 'partial' }));
      for (const td of tr.querySelectorAll('td')) if (td.textContent === '—') td.textContent = 'not run';
    });
  }

  #finish(record) {
    this.#record = record;
    this.#refs.sweepCsv.disabled = this.#refs.sweepJson.disabled = false;
  }

  #download(kind) {
    const rec = this.#record;
    if (!rec) return;
    const name = `lmul-sweep-${slug(rec.model.name)}-E${rec.settings.E}-${rec.settings.method}-${rec.settings.rounding}`;
    if (kind === 'csv') this.#downloads.save(`${name}.csv`, new Blob([sweepCsv(rec)], { type: 'text/csv' }));
    else this.#downloads.save(`${name}.json`, new Blob([sweepJson(rec)], { type: 'application/json' }));
  }

  // The table's head and body for a plain sweep or a comparison ({ tunedM }).
  #table(compare) {
    const table = this.#refs.sweepTable;
    const cols = compare ? COMPARE_COLUMNS : PLAIN_COLUMNS;
    const head = node('thead'), body = node('tbody');
    const th = (text, props = {}) => node('th', { textContent: text, ...props });
    const row = node('tr');
    row.append(th('M', { scope: 'col' }), ...cols.map(([, text, title]) => th(text, { scope: 'col', ...(title ? { title } : {}) })));
    head.append(row);
    for (const m of SWEEP_MS) {
      const tr = node('tr');
      tr.dataset.m = String(m);
      const label = th(String(m), { scope: 'row' });
      if (compare?.tunedM === m) {
        tr.className = 'tuned';
        label.append(' ', node('span', { className: 'tag', textContent: 'tuned', title: 'The M this model was fine-tuned for' }));
      }
      tr.append(label, ...cols.map(([cls]) => node('td', { className: cls, textContent: '—' })));
      body.append(tr);
    }
    for (const part of [table.tHead, ...table.tBodies]) part?.remove();
    table.append(head, body);
    table.dataset.compare = String(!!compare);
  }

  // Legend buttons, one per line of the chart: each shows or hides its line.
  #legend(compare) {
    this.#refs.sweepLegend.replaceChildren(...sweepSeries(chartCompare(compare)).map((l, i) => {
      const b = node('button', { type: 'button', textContent: l.label });
      b.dataset.series = String(i + 1);
      if (l.dash) b.dataset.dash = '';
      b.setAttribute('aria-pressed', 'true');
      b.style.setProperty('--c', `var(--lmd-c-${l.color})`);
      return b;
    }));
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
    this.#chart?.setData([SWEEP_MS, ...sweepSeries(chartCompare(compare)).map(() => SWEEP_MS.map(() => null))]);
  }

  #makeChart(compare) {
    const box = this.#refs.sweepChart;
    box.textContent = '';
    this.#chartView = compare ? `compare:${compare.base.name}:${compare.tunedM}` : 'plain';
    box.setAttribute('aria-label', compare
      ? 'Accuracy against M for the fine-tuned model and its base; the table has the same numbers'
      : 'Accuracy against M; the table has the same numbers');
    this.#legend(compare);
    return sweepChart(box, this.#host, SWEEP_MS, chartCompare(compare));
  }

  // "At M=1 (lmul, E8): base 96.80 % → fine-tuned 97.30 % (+0.50 points), on 1,000 test images."
  #comparison({ t, tunedM }, s, acc, n) {
    const line = this.#refs.sweepCompare;
    const method = METHOD_OF_VARIANT[s.variant];
    const bold = (text) => node('b', { textContent: text });
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

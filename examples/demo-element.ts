// A typed tour of the demo element on a page: share the page's lmul-wasm instance with it, listen
// to its events, drive it through properties and methods. Checked by `tsc --strict` in
// tests/web/types.test.mjs, which also compiles it and runs it in Chromium.
import { createLMul, type ErrorStats, type LMul } from 'lmul-wasm';
import { mountDemo, type DemoChangeDetail, type DemoPredictDetail, type LMulDigitDemo, type SweepOutcome } from 'lmul-wasm/demo';

const lm: LMul = await createLMul();
const host = document.querySelector<HTMLElement>('#here');
if (!host) throw new Error('the page needs an element with id "here"');

// The element reuses the page's instance: the .wasm is fetched once.
const demo: LMulDigitDemo = mountDemo(host, { m: 3, e: 8, lm, compact: false });
await demo.ready;

const log: string[] = [];
// Its events bubble out of the shadow root: a listener anywhere above it hears them.
document.addEventListener('lmul-predict', (e: CustomEvent<DemoPredictDetail>) => {
  const { exact, lmul, settings } = e.detail;
  const errors: ErrorStats | null = lmul.errors; // null only where every product is exact
  log.push(`E${settings.E}M${settings.M}: exact ${exact.digit}, L-Mul ${lmul.digit}, mean product error ${errors ? (errors.mean * 100).toFixed(2) : '-'} %`);
});
demo.addEventListener('lmul-change', (e: CustomEvent<DemoChangeDetail>) => {
  log.push(`now ${e.detail.model.name} at E${e.detail.settings.E}M${e.detail.settings.M}`);
});

// Predictions follow on the next animation frame.
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
await demo.showTestImage(0);
await frames();
demo.m = 1; // reflected to the m attribute
await frames();
const exactErrors: ErrorStats | null = demo.predictions?.exact.errors ?? null; // the exact column: null
const outcome: SweepOutcome | null = await demo.runSweep(1000);
log.push(`sweep: exact ${outcome?.accuracy.exact}, L-Mul at M=1 ${outcome?.accuracy.lmul[0]}, exact column errors ${exactErrors}`);
log.push(`wasm memory ${demo.memory()?.heapBytes} bytes; model ${demo.model}; theme ${demo.theme ?? 'system'}`);

(globalThis as { demoExampleLog?: string[] }).demoExampleLog = log;

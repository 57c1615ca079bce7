// Test hooks for leak checks: an init script that counts, in the page, what an element can
// acquire and forget to release — observed ResizeObserver targets, Workers not terminated,
// listeners on document, window and MediaQueryLists, pending timers and animation frames.
// Nothing in the product knows about it; it wraps the platform's constructors and methods.
//   await context.addInitScript(COUNT_LIVE_RESOURCES);
//   const counts = await page.evaluate(() => window.__liveResources());

export const COUNT_LIVE_RESOURCES = `(() => {
  const observed = new Map(); // ResizeObserver -> Set of targets
  const RO = window.ResizeObserver;
  window.ResizeObserver = class extends RO {
    constructor(cb) { super(cb); observed.set(this, new Set()); }
    observe(t, o) { observed.get(this).add(t); return super.observe(t, o); }
    unobserve(t) { observed.get(this).delete(t); return super.unobserve(t); }
    disconnect() { observed.get(this).clear(); return super.disconnect(); }
  };

  const workers = new Set();
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(...args) { super(...args); workers.add(this); }
    terminate() { workers.delete(this); return super.terminate(); }
  };

  // Listeners per kind of target: document, window, MediaQueryList.
  const listeners = { document: new Set(), window: new Set(), mediaQuery: new Set() };
  const kindOf = (t) => (t === document ? 'document' : t === window ? 'window' : t instanceof MediaQueryList ? 'mediaQuery' : null);
  const keyOf = (type, fn, opts) => [type, !!(typeof opts === 'boolean' ? opts : opts?.capture)];
  const ids = new WeakMap();
  let nextId = 1;
  const idOf = (fn) => { if (!ids.has(fn)) ids.set(fn, nextId++); return ids.get(fn); };
  const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    const kind = kindOf(this);
    if (kind && fn) listeners[kind].add(keyOf(type, fn, opts).concat(idOf(fn)).join('|'));
    return add.call(this, type, fn, opts);
  };
  EventTarget.prototype.removeEventListener = function (type, fn, opts) {
    const kind = kindOf(this);
    if (kind && fn) listeners[kind].delete(keyOf(type, fn, opts).concat(idOf(fn)).join('|'));
    return remove.call(this, type, fn, opts);
  };

  const timers = new Set();
  const st = window.setTimeout, ct = window.clearTimeout;
  window.setTimeout = function (fn, ms, ...args) {
    const id = st.call(window, (...a) => { timers.delete(id); if (typeof fn === 'function') fn(...a); }, ms, ...args);
    timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) { timers.delete(id); return ct.call(window, id); };
  const si = window.setInterval, ci = window.clearInterval;
  window.setInterval = function (...a) { const id = si.apply(window, a); timers.add(id); return id; };
  window.clearInterval = function (id) { timers.delete(id); return ci.call(window, id); };

  const frames = new Set();
  const raf = window.requestAnimationFrame, caf = window.cancelAnimationFrame;
  window.requestAnimationFrame = function (fn) {
    const id = raf.call(window, (t) => { frames.delete(id); fn(t); });
    frames.add(id);
    return id;
  };
  window.cancelAnimationFrame = function (id) { frames.delete(id); return caf.call(window, id); };

  window.__liveResources = () => ({
    observedTargets: [...observed.values()].reduce((n, s) => n + s.size, 0),
    workers: workers.size,
    documentListeners: listeners.document.size,
    windowListeners: listeners.window.size,
    mediaQueryListeners: listeners.mediaQuery.size,
    timers: timers.size,
    animationFrames: frames.size,
  });
})();`;

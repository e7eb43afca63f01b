'use strict';
/**
 * A time-series predictor for the model-runner competition (PROTOCOLS §5: Setup, then per tick
 * Call("tick", JSON) and Call("predict")). For each named series it fits an autoregressive model
 * AR(p) on first differences by ridge least squares over a sliding window, and forecasts
 * `horizon` steps ahead with a spread from the in-sample residuals. With too little history it
 * falls back to Holt's linear trend (double exponential smoothing).
 */

const DEFAULTS = { order: 3, window: 256, ridge: 1e-3, maxSeries: 64, maxHistory: 4096 };

/** Solves (XᵀX + λI) β = Xᵀy by Gaussian elimination with partial pivoting. */
function ridgeSolve(rows, ys, lambda) {
  const k = rows[0].length;
  const a = Array.from({ length: k }, () => new Array(k + 1).fill(0));
  for (let r = 0; r < rows.length; r += 1) {
    const x = rows[r];
    for (let i = 0; i < k; i += 1) {
      for (let j = 0; j < k; j += 1) a[i][j] += x[i] * x[j];
      a[i][k] += x[i] * ys[r];
    }
  }
  for (let i = 0; i < k; i += 1) a[i][i] += lambda * rows.length;
  for (let c = 0; c < k; c += 1) {
    let pivot = c;
    for (let r = c + 1; r < k; r += 1) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    if (Math.abs(a[c][c]) < 1e-12) return new Array(k).fill(0);
    for (let r = 0; r < k; r += 1) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let j = c; j <= k; j += 1) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row, i) => row[k] / row[i]);
}

function holt(series, horizon) {
  const alpha = 0.5;
  const beta = 0.3;
  let level = series[0];
  let trend = series.length > 1 ? series[1] - series[0] : 0;
  let sq = 0;
  for (let i = 1; i < series.length; i += 1) {
    const forecast = level + trend;
    sq += (series[i] - forecast) ** 2;
    const prevLevel = level;
    level = alpha * series[i] + (1 - alpha) * (level + trend);
    trend = beta * (level - prevLevel) + (1 - beta) * trend;
  }
  const sd = series.length > 2 ? Math.sqrt(sq / (series.length - 1)) : 0;
  return { mean: Array.from({ length: horizon }, (_, h) => level + (h + 1) * trend), sd, method: 'holt' };
}

function arForecast(series, horizon, cfg) {
  const p = cfg.order;
  const recent = series.slice(-cfg.window);
  const d = [];
  for (let i = 1; i < recent.length; i += 1) d.push(recent[i] - recent[i - 1]);
  if (d.length < p * 4) return holt(recent, horizon);
  const rows = [];
  const ys = [];
  for (let t = p; t < d.length; t += 1) {
    rows.push([1, ...d.slice(t - p, t).reverse()]);
    ys.push(d[t]);
  }
  const beta = ridgeSolve(rows, ys, cfg.ridge);
  let sq = 0;
  for (let r = 0; r < rows.length; r += 1) {
    const fit = rows[r].reduce((s, x, i) => s + x * beta[i], 0);
    sq += (ys[r] - fit) ** 2;
  }
  const sd = Math.sqrt(sq / Math.max(1, rows.length - beta.length));
  const lags = d.slice(-p).reverse();
  let level = recent[recent.length - 1];
  const mean = [];
  for (let h = 0; h < horizon; h += 1) {
    const step = beta[0] + lags.reduce((s, x, i) => s + x * beta[i + 1], 0);
    level += step;
    mean.push(level);
    lags.unshift(step);
    lags.pop();
  }
  return { mean, sd, method: `ar${p}-diff-ridge`, coefficients: beta };
}

function finite(x) {
  return typeof x === 'number' && Number.isFinite(x);
}

function invalid(message) {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

function createModel() {
  let config = null;
  let series = new Map();
  let ticks = 0;

  const requireSetup = () => {
    if (!config) throw Object.assign(new Error('call setup first'), { code: 'FAILED_PRECONDITION' });
  };

  /** tick payload: a number (series "value"), or { values: {name: number} }, or {name: number}. */
  const tick = (payload) => {
    requireSetup();
    let values;
    if (finite(payload)) values = { value: payload };
    else if (payload && typeof payload === 'object' && payload.values && typeof payload.values === 'object') values = payload.values;
    else if (payload && typeof payload === 'object') values = payload;
    else throw invalid('tick expects a number or an object of named numbers');
    for (const [name, v] of Object.entries(values)) {
      if (!finite(v)) continue;
      let s = series.get(name);
      if (!s) {
        if (series.size >= config.maxSeries) throw invalid(`at most ${config.maxSeries} series`);
        series.set(name, (s = []));
      }
      s.push(v);
      if (s.length > config.maxHistory) s.splice(0, s.length - config.maxHistory);
    }
    ticks += 1;
    return { ticks, series: series.size };
  };

  /** predict payload: { horizon?: 1..100 (default 1), series?: name }. */
  const predict = (payload) => {
    requireSetup();
    const p = payload && typeof payload === 'object' ? payload : {};
    const horizon = Math.min(100, Math.max(1, Math.floor(Number(p.horizon ?? 1))));
    const names = p.series ? [String(p.series)] : [...series.keys()];
    const out = {};
    for (const name of names) {
      const s = series.get(name);
      if (!s || s.length === 0) continue;
      if (s.length === 1) {
        out[name] = { mean: new Array(horizon).fill(s[0]), sd: 0, method: 'last-value' };
        continue;
      }
      const f = arForecast(s, horizon, config);
      out[name] = { mean: f.mean, sd: f.sd, method: f.method };
    }
    return { horizon, predictions: out };
  };

  return {
    health() {
      return { ok: true, model: 'ts-predictor', setUp: config !== null, series: series.size, ticks };
    },
    /** params: { className?, args?: [], kwargs?: {order, window, ridge} }. Idempotent until reset. */
    setup(params) {
      if (config) return { ok: true, alreadySetUp: true };
      const kw = (params && params.kwargs) || {};
      config = { ...DEFAULTS };
      if (kw.order !== undefined) config.order = Math.min(8, Math.max(1, Math.floor(Number(kw.order))));
      if (kw.window !== undefined) config.window = Math.min(4096, Math.max(16, Math.floor(Number(kw.window))));
      if (kw.ridge !== undefined && finite(Number(kw.ridge))) config.ridge = Math.max(0, Number(kw.ridge));
      return { ok: true, className: (params && params.className) || null, config };
    },
    /** params: { method: "tick" | "predict", args?: [payload], kwargs?: {} } */
    call(params) {
      const method = params && params.method;
      const args = (params && params.args) || [];
      const kwargs = (params && params.kwargs) || {};
      const payload = args.length > 0 ? args[0] : kwargs;
      if (method === 'tick') return tick(payload);
      if (method === 'predict') return predict(payload);
      throw invalid(`unknown method "${String(method)}"`);
    },
    reset() {
      config = null;
      series = new Map();
      ticks = 0;
      return { ok: true };
    },
  };
}

module.exports = { createModel, arForecast, holt, ridgeSolve };

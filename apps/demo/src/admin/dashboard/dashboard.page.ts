/**
 * The cache dashboard: one page, no build step. On open it loads the server's last five minutes
 * (`/cache/dashboard/data`), then asks every second for what is new. It plots per namespace the
 * hit rate and reads of each second, p50 and p99 read latency, entries and bytes; it shows each
 * namespace's current values and the state of every backend (Redis and its circuit, the bus and
 * its gaps, the durable store's dirty entries, last flush and circuit), whatever fields the cache
 * reports for them.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cache dashboard</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 14px; margin: 0 0 8px; }
  .hint { color: #666; margin-bottom: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 12px; }
  .card { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 10px 12px; }
  .legend span { display: inline-block; margin-right: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
  svg { width: 100%; height: 150px; }
  .axis { stroke: #ccc; }
  .label { fill: #888; font-size: 10px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid #eee; }
  th:first-child, td:first-child { text-align: left; }
  .backends { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
  .backends .card { min-width: 180px; }
  .ok { color: #2ca02c; } .bad { color: #d62728; }
  dl { margin: 0; display: grid; grid-template-columns: auto auto; gap: 2px 12px; }
  dt { color: #666; } dd { margin: 0; }
</style>
</head>
<body data-samples="0" data-fetches="0">
<h1>Cache dashboard</h1>
<div class="hint">Last five minutes, one point per second, kept by the server (<code>/cache/dashboard/data</code>).</div>
<div class="backends" id="backends"></div>
<div class="legend" id="legend"></div>
<div class="grid" id="charts"></div>
<div class="card" style="margin-top:12px"><h2>Now, per namespace</h2><table id="current"></table></div>
<script>
const WINDOW_MS = 5 * 60 * 1000;
const COLORS = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',
  '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#e7ba52',
];
const CHARTS = [
  ['hitRate', 'Hit rate, per second (%)'],
  ['reads', 'Reads per second'],
  ['p50Ms', 'Read latency p50 (ms)'],
  ['p99Ms', 'Read latency p99 (ms)'],
  ['entries', 'Entries in memory'],
  ['bytes', 'Bytes in memory'],
];
const COLUMNS = ['hits', 'misses', 'hitRate', 'entries', 'bytes', 'persistent', 'staleServes', 'loaderCalls', 'errors'];
let samples = [];
let fetches = 0;

async function tick() {
  const since = samples.length ? samples[samples.length - 1].at : 0;
  let data;
  try {
    data = await (await fetch('/cache/dashboard/data?since=' + since)).json();
  } catch {
    return;
  }
  samples = samples.concat(data.samples);
  const now = samples.length ? samples[samples.length - 1].at : Date.now();
  samples = samples.filter((s) => now - s.at <= WINDOW_MS);
  const names = Object.keys(data.current).sort();
  renderBackends(data.backends, data.info);
  renderCharts(names, now);
  renderCurrent(names, data.current);
  fetches++;
  document.body.dataset.samples = String(samples.length);
  document.body.dataset.fetches = String(fetches);
}

function renderCharts(names, now) {
  document.getElementById('legend').innerHTML = names
    .map((name, i) => '<span><i style="background:' + COLORS[i % COLORS.length] + '"></i>' + name + '</span>')
    .join('');
  document.getElementById('charts').innerHTML = CHARTS.map(([field, title]) => chart(field, title, names, now)).join('');
}

function chart(field, title, names, now) {
  const width = 400, height = 150, left = 44, bottom = 18;
  let max = 0;
  for (const s of samples) for (const name of names) max = Math.max(max, (s.namespaces[name] || {})[field] || 0);
  max = field === 'hitRate' ? 100 : max > 0 ? max * 1.1 : 1;
  const first = samples.length ? samples[0].at : now;
  const span = Math.max(now - first, 1000);
  const x = (at) => left + ((at - (now - span)) / span) * (width - left - 4);
  const y = (value) => height - bottom - (value / max) * (height - bottom - 6);
  const lines = names.map((name, i) => {
    // A second with no reads has no hit rate or latency: the line skips it.
    const points = samples
      .filter((s) => s.namespaces[name] && s.namespaces[name][field] !== null && s.namespaces[name][field] !== undefined)
      .map((s) => x(s.at).toFixed(1) + ',' + y(s.namespaces[name][field]).toFixed(1));
    return '<polyline class="series" data-namespace="' + name + '" data-points="' + points.length +
      '" fill="none" stroke-width="2" stroke="' + COLORS[i % COLORS.length] + '" points="' + points.join(' ') + '"/>';
  });
  return '<div class="card" data-chart="' + field + '"><h2>' + title + '</h2><svg viewBox="0 0 ' + width + ' ' + height + '">' +
    '<line class="axis" x1="' + left + '" y1="' + (height - bottom) + '" x2="' + width + '" y2="' + (height - bottom) + '"/>' +
    '<line class="axis" x1="' + left + '" y1="4" x2="' + left + '" y2="' + (height - bottom) + '"/>' +
    '<text class="label" x="2" y="12">' + format(max) + '</text><text class="label" x="2" y="' + (height - bottom) + '">0</text>' +
    '<text class="label" x="' + left + '" y="' + (height - 4) + '">-' + Math.round(span / 1000) + ' s</text><text class="label" x="' + (width - 24) + '" y="' + (height - 4) + '">now</text>' +
    lines.join('') + '</svg></div>';
}

function renderCurrent(names, current) {
  const head = '<tr><th>namespace</th>' + COLUMNS.map((c) => '<th>' + c + '</th>').join('') + '</tr>';
  const rows = names.map((name) => '<tr data-namespace="' + name + '"><td>' + name + '</td>' +
    COLUMNS.map((c) => {
      const v = current[name][c];
      return '<td data-field="' + c + '">' + (c === 'hitRate' ? (v * 100).toFixed(1) + '%' : format(v || 0)) + '</td>';
    }).join('') + '</tr>');
  document.getElementById('current').innerHTML = head + rows.join('');
}

// Each backend the cache reports, with every field it has (nested objects get their own card):
// Redis and its circuit, the bus (transport, connected, gaps, last gap), the durable store (health,
// dirty entries waiting for a flush, last flush, circuit), and whatever a newer cache adds.
const TITLES = { redis: 'Redis', bus: 'bus', persistence: 'durable store', memory: 'memory' };
const LABELS = {
  dirty: 'dirty (queue depth)', queueDepth: 'queue depth', lastFlushAt: 'last flush',
  lastGapAt: 'last gap', gaps: 'gaps', lastError: 'last error', latencyMs: 'latency (ms)',
};
function renderBackends(health, info) {
  const cards = [];
  const add = (name, value, status) => {
    const fields = Object.entries(value).filter(([, v]) => v === null || typeof v !== 'object');
    const ok = value.healthy !== false && value.connected !== false && value.ok !== false &&
      (value.circuit === undefined || value.circuit === 'closed');
    const title = (TITLES[name] || name) + (value.transport ? ' over ' + value.transport : '');
    cards.push('<div class="card" data-backend="' + name + '"><h2>' + title + ' <span class="' + (ok ? 'ok' : 'bad') + '">' +
      (status || (ok ? 'up' : 'down')) + '</span></h2><dl>' +
      fields.map(([k, v]) => '<dt>' + (LABELS[k] || k) + '</dt><dd data-field="' + k + '">' + text(k, v) + '</dd>').join('') + '</dl></div>');
    for (const [k, v] of Object.entries(value)) if (v && typeof v === 'object') add(name + '.' + k, v);
  };
  cards.push('<div class="card" data-backend="cache"><h2>cache <span class="' + (health.status === 'up' ? 'ok' : 'bad') + '">' + health.status + '</span></h2></div>');
  for (const [name, value] of Object.entries(health)) if (value && typeof value === 'object') add(name, { ...(info[name] || {}), ...value });
  document.getElementById('backends').innerHTML = cards.join('');
}

// Times (fields named ...At, as ISO text or epoch ms) as the clock time and how long ago.
function text(key, value) {
  if (/At$/.test(key) && (typeof value === 'number' || typeof value === 'string')) {
    const at = new Date(value);
    if (!isNaN(at.getTime())) {
      const ago = Math.max(0, Math.round((Date.now() - at.getTime()) / 1000));
      return at.toLocaleTimeString() + ' (' + ago + ' s ago)';
    }
  }
  return String(value);
}

function format(value) {
  return value >= 1e6 ? (value / 1e6).toFixed(1) + 'M' : value >= 1e3 ? (value / 1e3).toFixed(1) + 'k' : value.toFixed(value < 10 && value % 1 ? 2 : 0);
}

tick();
setInterval(tick, 1000);
</script>
</body>
</html>
`;

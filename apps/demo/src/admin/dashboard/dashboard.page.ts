/**
 * The cache dashboard: one page, no build step. It polls `/cache/stats` every second, keeps the
 * last five minutes, and plots per namespace the hit rate, reads per second, entries, bytes and
 * average read latency as SVG lines.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cache dashboard</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .hint { color: #666; margin-bottom: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 12px; }
  .card h2 { font-size: 14px; margin: 0 0 8px; }
  .legend span { display: inline-block; margin-right: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
  svg { width: 100%; height: 180px; }
  .axis { stroke: #ccc; }
  .label { fill: #888; font-size: 10px; }
</style>
</head>
<body data-samples="0">
<h1>Cache dashboard</h1>
<div class="hint">Last five minutes, sampled every second from <code>/cache/stats</code>.</div>
<div class="legend" id="legend"></div>
<div class="grid" id="charts"></div>
<script>
const WINDOW_MS = 5 * 60 * 1000;
const COLORS = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',
  '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#e7ba52',
];
const CHARTS = [
  ['hitRate', 'Hit rate (%)'],
  ['reads', 'Reads per second'],
  ['entries', 'Entries in memory'],
  ['bytes', 'Bytes in memory'],
  ['getMs', 'Average read latency (ms)'],
];
const history = {};
let previous;
let samples = 0;

async function tick() {
  let stats;
  try {
    stats = await (await fetch('/cache/stats')).json();
  } catch {
    return;
  }
  const now = Date.now();
  for (const [name, current] of Object.entries(stats)) {
    const before = previous && previous.stats[name];
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    let getMs = 0;
    if (before && current.latency && before.latency) {
      const count = current.latency.get.count - before.latency.get.count;
      getMs = count > 0 ? ((current.latency.get.seconds - before.latency.get.seconds) / count) * 1000 : 0;
    }
    const point = {
      at: now,
      hitRate: current.hitRate * 100,
      reads: before && seconds > 0 ? (current.accesses - before.accesses) / seconds : 0,
      entries: current.entries,
      bytes: current.bytes,
      getMs,
    };
    (history[name] ??= []).push(point);
    history[name] = history[name].filter((p) => now - p.at <= WINDOW_MS);
  }
  previous = { at: now, stats };
  samples++;
  render(now);
  document.body.dataset.samples = String(samples);
}

function render(now) {
  const names = Object.keys(history).sort();
  document.getElementById('legend').innerHTML = names
    .map((name, i) => '<span><i style="background:' + COLORS[i % COLORS.length] + '"></i>' + name + '</span>')
    .join('');
  document.getElementById('charts').innerHTML = CHARTS.map(([field, title]) => chart(field, title, names, now)).join('');
}

function chart(field, title, names, now) {
  const width = 460, height = 160, left = 44, bottom = 18;
  let max = 0;
  for (const name of names) for (const p of history[name]) max = Math.max(max, p[field]);
  max = field === 'hitRate' ? 100 : max > 0 ? max * 1.1 : 1;
  // The x axis spans what has been sampled, up to five minutes.
  let first = now;
  for (const name of names) if (history[name].length) first = Math.min(first, history[name][0].at);
  const span = Math.max(now - first, 1000);
  const x = (at) => left + ((at - (now - span)) / span) * (width - left - 4);
  const y = (value) => height - bottom - (value / max) * (height - bottom - 6);
  const lines = names.map((name, i) => {
    const points = history[name].map((p) => x(p.at).toFixed(1) + ',' + y(p[field]).toFixed(1)).join(' ');
    return '<polyline class="series" data-namespace="' + name + '" data-points="' + history[name].length +
      '" fill="none" stroke-width="2" stroke="' + COLORS[i % COLORS.length] + '" points="' + points + '"/>';
  });
  return '<div class="card" data-chart="' + field + '"><h2>' + title + '</h2><svg viewBox="0 0 ' + width + ' ' + height + '">' +
    '<line class="axis" x1="' + left + '" y1="' + (height - bottom) + '" x2="' + width + '" y2="' + (height - bottom) + '"/>' +
    '<line class="axis" x1="' + left + '" y1="4" x2="' + left + '" y2="' + (height - bottom) + '"/>' +
    '<text class="label" x="2" y="12">' + format(max) + '</text><text class="label" x="2" y="' + (height - bottom) + '">0</text>' +
    '<text class="label" x="' + left + '" y="' + (height - 4) + '">-' + Math.round(span / 1000) + ' s</text><text class="label" x="' + (width - 24) + '" y="' + (height - 4) + '">now</text>' +
    lines.join('') + '</svg></div>';
}

function format(value) {
  return value >= 1e6 ? (value / 1e6).toFixed(1) + 'M' : value >= 1e3 ? (value / 1e3).toFixed(1) + 'k' : value.toFixed(value < 10 ? 2 : 0);
}

tick();
setInterval(tick, 1000);
</script>
</body>
</html>
`;

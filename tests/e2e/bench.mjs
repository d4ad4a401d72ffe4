// Browser benchmark: N real PTB-XL test-fold records dropped one by one into the built
// page, end to end; prints the median and 95th percentile of each stage per backend.
//
//   node bench.mjs [--ptbxl DIR] [--n 30] [--backend cpu|webgpu|both]
//
// Without --ptbxl it uses the five committed test-fold records, repeated.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDist, launchBrowser, recordFiles, search, waitForEngine } from './harness.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const n = Number(args.n ?? 30);
const backends = (args.backend ?? 'both') === 'both' ? ['cpu', 'webgpu'] : [args.backend];

async function records() {
  if (!args.ptbxl) {
    const names = ['00009_lr', '00063_lr', '00065_lr', '00116_lr', '01219_lr'];
    return Promise.all(Array.from({ length: n }, (_, i) => recordFiles('ptbxl-fold10', names[i % names.length])));
  }
  const csv = await readFile(join(args.ptbxl, 'ptbxl_database.csv'), 'utf8');
  const header = csv.split('\n')[0].split(',');
  const fold = header.indexOf('strat_fold');
  const file = header.indexOf('filename_lr');
  const picked = [];
  for (const line of csv.split('\n').slice(1)) {
    // The report column may hold commas inside quotes; the last columns do not.
    const cells = line.split(',');
    if (cells.length < header.length) continue;
    const tail = cells.slice(cells.length - (header.length - fold));
    if (tail[0] === '10') picked.push(cells[cells.length - (header.length - file)]);
    if (picked.length === n) break;
  }
  return Promise.all(picked.map(async (f) => {
    const base = join(args.ptbxl, f);
    const name = f.split('/').pop();
    return [
      { name: `${name}.hea`, bytes: await readFile(`${base}.hea`) },
      { name: `${name}.dat`, bytes: await readFile(`${base}.dat`) },
    ];
  }));
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};

const inputs = await records();
const server = await serveDist();
for (const backend of backends) {
  const browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${server.url}?backend=${backend}`);
  await waitForEngine(page, 300000);
  const active = await page.getAttribute('#backend', 'data-backend');
  const rows = [];
  for (const files of inputs) {
    const started = Date.now();
    const { timings, state } = await search(page, files, 300000);
    if (state !== 'done') throw new Error(`${files[0].name}: search failed`);
    timings.total = timings.read + timings.encode + timings.embed + timings.search + timings.render;
    timings.wall = Date.now() - started;
    rows.push(timings);
  }
  console.log(`\n${active}: ${rows.length} queries (median / p95, ms)`);
  for (const stage of ['read', 'encode', 'embed', 'search', 'render', 'total', 'wall']) {
    const xs = rows.map((r) => r[stage]);
    console.log(`  ${stage.padEnd(7)} ${quantile(xs, 0.5).toFixed(1).padStart(9)} ${quantile(xs, 0.95).toFixed(1).padStart(9)}`);
  }
  await browser.close();
}
await server.close();

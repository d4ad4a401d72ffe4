// Where the page spends a search's time: a CPU profile (Chrome DevTools Protocol) of the
// second of two fixture searches on the CPU backend, self time per function, largest first.
// Wasm functions are named only in a build that keeps names (see the README's "In the
// browser" section); in the shipped build they read `wasm-function[N]`.
//   node profile.mjs [--top 25]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDist, launchBrowser, search, waitForEngine, FIXTURES } from './harness.mjs';

const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
const record = async (name) => Promise.all(['hea', 'dat'].map(async (ext) => ({
  name: `${name}.${ext}`, bytes: await readFile(join(FIXTURES, 'ptbxl-fold10', `${name}.${ext}`)),
})));

const server = await serveDist();
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(`${server.url}?backend=cpu`);
await waitForEngine(page, 300000);
await search(page, await record('00009_lr'));
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const { timings } = await search(page, await record('00063_lr'));
const { profile } = await cdp.send('Profiler.stop');
console.log('stages (ms):', JSON.stringify(timings));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id).callFrame;
  const key = frame.functionName || `(anonymous) ${frame.url.split('/').pop()}`;
  self.set(key, (self.get(key) || 0) + (profile.timeDeltas[i] || 0));
});
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(us / 1000).toFixed(1).padStart(9)} ms  ${name}`);
}
await browser.close();
await server.close();

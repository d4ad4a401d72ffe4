// The example's whole use of the API: load a library, then read, search or digitize what the
// user picks. Results are plain objects, shown here as tables and kept on `window.ecgmatch`
// for a console (or a test) to look at.
import init, { Engine, readFiles, digitize } from './pkg/ecgmatch_js.js';

const LIBRARY = '../../static/bundle/ptbxl-v6.ecgb';
const status = document.querySelector('#status');
const results = document.querySelector('#results');
window.ecgmatch = { results: null };

function show(state, html) {
  results.dataset.state = state;
  results.innerHTML = html;
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function casesTable(cases) {
  const rows = cases.map((c) => `<tr class="case" data-ecg-id="${c.ecg_id}" data-codes="${c.scp_codes.map((s) => s.code).join(' ')}">
    <td>${c.rank}</td><td>${(c.similarity * 100).toFixed(1)}%</td><td>${c.ecg_id}</td>
    <td>${escape(c.report)}<br><small>${escape(c.english)}</small></td>
    <td>${c.scp_codes.map((s) => s.code).join(', ')}</td></tr>`);
  return `<table><tr><th>#</th><th>similarity</th><th>PTB-XL ecg_id</th><th>report</th><th>statements</th></tr>${rows.join('')}</table>`;
}

async function asFiles(list) {
  return Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

async function pixels(file) {
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  return { data: context.getImageData(0, 0, bitmap.width, bitmap.height).data, width: bitmap.width, height: bitmap.height };
}

try {
  await init();
  const bytes = new Uint8Array(await (await fetch(LIBRARY)).arrayBuffer());
  const engine = new Engine(bytes);
  const library = engine.library();
  status.textContent = `Library ${library.name}: ${library.cases} cases (${library.source}).`;
  status.dataset.state = 'ready';
  for (const input of document.querySelectorAll('input')) input.disabled = false;

  document.querySelector('#ecg-files').addEventListener('change', async (event) => {
    show('working', 'Reading and searching…');
    const files = await asFiles(event.target.files);
    const read = readFiles(files);
    const searched = await engine.search(files, 10);
    window.ecgmatch.results = { read, searched };
    show('done', searched.map((r) => r.error
      ? `<p class="error">${escape(r.files.join(' + '))}: ${escape(r.error)}</p>`
      : `<h2 data-record="${escape(r.record)}">${escape(r.record)}</h2>${casesTable(r.cases)}`).join(''));
  });

  document.querySelector('#picture').addEventListener('change', async (event) => {
    show('working', 'Digitizing…');
    const { data, width, height } = await pixels(event.target.files[0]);
    try {
      const digitized = digitize(new Uint8Array(data.buffer), width, height);
      window.ecgmatch.results = { digitized };
      const gate = digitized.notSearchable
        ? ` Not to be searched: ${escape(digitized.notSearchable)}`
        : ` Doubtful leads, left out: ${digitized.doubtfulLeads.join(', ') || 'none'}.`;
      show('done', `<p data-layout="${digitized.layout}">Read as ${digitized.layout}: ${digitized.record.channels.length} leads at ${digitized.record.sampling_rate} Hz.${gate}</p>`);
    } catch (e) {
      show('failed', `<p class="error">${escape(e.message)}</p>`);
    }
  });
} catch (e) {
  status.textContent = `The engine could not start: ${e.message}`;
  status.dataset.state = 'failed';
}

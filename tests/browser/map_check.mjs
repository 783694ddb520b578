#!/usr/bin/env node
// Headless-browser check of the ecospace map page.
//
//   node tests/browser/map_check.mjs BASE_URL OUT.png
//   e.g. node tests/browser/map_check.mjs http://127.0.0.1:8080 target/map-check.png
//
// Needs /usr/bin/chromium and node_modules (scripts/setup.sh) and a running ecospace server on
// loopback (scripts/map-check.sh starts one). Every assertion is made from inside the page (map
// state, rendered features, window.lastResult, the DOM), not by looking at pixels. Prints one line
// per check and `map check: N passed, M failed`; exits 1 on any failure.

import { chromium } from 'playwright-core';

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
const OUT = process.argv[3];
if (!BASE || !OUT) {
  console.error('usage: node tests/browser/map_check.mjs BASE_URL OUT.png');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.MAP_CHECK_TIMEOUT_MS || 60000);
const RED_FILL = 'redline-fill';
const SHORE = 'shoreline-line';
const TILE_RE = /\/tiles\/[^/?]+\/\d+\/\d+\/\d+\.(mvt|pbf)(\?|$)/;

let passed = 0;
let failed = 0;
function ok(name, detail = '') {
  passed++;
  console.log(`ok   ${name}${detail ? ` — ${detail}` : ''}`);
}
class CheckError extends Error {}
function assert(cond, msg) {
  if (!cond) throw new CheckError(msg);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    // WebGL without a GPU: SwiftShader (software), explicitly allowed.
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'zh-CN' });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);

const pageErrors = [];
const consoleErrors = [];
const tileRequests = []; // { seq, url }
let seq = 0;
page.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));
page.on('console', (m) => {
  if (m.type() === 'error') consoleErrors.push(m.text());
});
page.on('request', (r) => {
  if (TILE_RE.test(r.url())) tileRequests.push({ seq: ++seq, url: r.url() });
});
// Only the server under test: anything else (a CDN, a base map) is a failure of "nothing from the internet".
const foreign = [];
const baseOrigin = new URL(BASE).origin;
await page.route('**/*', (route) => {
  const u = route.request().url();
  if (u.startsWith('data:') || u.startsWith('blob:') || new URL(u).origin === baseOrigin) return route.continue();
  foreign.push(u);
  return route.abort();
});

async function waitIdle(what) {
  try {
    await page.waitForFunction(() => ['idle', 'error'].includes(document.body.dataset.state), null, { timeout: TIMEOUT });
  } catch (e) {
    throw new CheckError(`${what}: page never reached state "idle" in ${TIMEOUT} ms (state=${await page.evaluate(() => document.body.dataset.state)})`);
  }
  const st = await page.evaluate(() => document.body.dataset.state);
  assert(st === 'idle', `${what}: page state is "${st}": ${await page.locator('#panel').innerText().catch(() => '')}`);
}

// Natural shoreline as rendered now: feature ids, and summed length in km of the rendered pieces.
async function naturalShore() {
  return page.evaluate((layer) => {
    const map = window.ecospaceMap;
    const feats = map.queryRenderedFeatures({ layers: [layer] });
    const rad = Math.PI / 180;
    const km = (a, b) => {
      const x = (b[0] - a[0]) * rad * Math.cos(((a[1] + b[1]) / 2) * rad);
      const y = (b[1] - a[1]) * rad;
      return Math.hypot(x, y) * 6371.0088;
    };
    const lineKm = (cs) => cs.slice(1).reduce((s, c, i) => s + km(cs[i], c), 0);
    const ids = new Set();
    const all = new Set();
    let length = 0;
    for (const f of feats) {
      all.add(String(f.properties.id));
      if (f.properties.class !== 'natural') continue;
      ids.add(String(f.properties.id));
      const g = f.geometry;
      if (g.type === 'LineString') length += lineKm(g.coordinates);
      else if (g.type === 'MultiLineString') for (const cs of g.coordinates) length += lineKm(cs);
    }
    return { ids: [...ids].sort(), all: all.size, length, tiles: map.getSource('ecospace').tiles };
  }, SHORE);
}

// A screen point well inside a rendered red-line polygon: scan the canvas, keep points whose
// neighbours 8 px away all hit the same feature, prefer the one nearest the centre.
async function redlineInteriorPoint() {
  return page.evaluate((layer) => {
    const map = window.ecospaceMap;
    const c = map.getCanvas();
    const w = c.clientWidth;
    const h = c.clientHeight;
    const at = (x, y) => {
      const f = map.queryRenderedFeatures([x, y], { layers: [layer] });
      return f.length ? f[0] : null;
    };
    const margin = 60; // keep off the controls in the corners
    let best = null;
    for (let y = margin; y < h - margin; y += 12) {
      for (let x = margin; x < w - margin; x += 12) {
        const f = at(x, y);
        if (!f) continue;
        const id = f.properties.id;
        const d = 8;
        const around = [[x - d, y], [x + d, y], [x, y - d], [x, y + d], [x - d, y - d], [x + d, y + d], [x - d, y + d], [x + d, y - d]];
        if (!around.every(([ax, ay]) => { const g = at(ax, ay); return g && g.properties.id === id; })) continue;
        const score = Math.hypot(x - w / 2, y - h / 2);
        if (!best || score < best.score) best = { x, y, id: String(id), name: f.properties.name, score };
      }
    }
    if (best) {
      const ll = map.unproject([best.x, best.y]);
      best.lngLat = [ll.lng, ll.lat];
    }
    return best;
  }, RED_FILL);
}

async function canvasBox() {
  const box = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  assert(box, 'map canvas not found');
  return box;
}

let step = 'start';
try {
  // 1. page loads, map idle, style in place
  step = 'load';
  const resp = await page.goto(`${BASE}/map`, { waitUntil: 'domcontentloaded' });
  assert(resp && resp.ok(), `GET /map answered ${resp && resp.status()}`);
  await waitIdle('first load');
  const info = await page.evaluate((layer) => {
    const map = window.ecospaceMap;
    return {
      hasMap: !!map,
      layer: !!(map && map.getLayer(layer)),
      year: document.querySelector('#year').value,
      yearLabel: document.querySelector('#year-label').value,
      legend: document.querySelectorAll('#legend input[type=checkbox]').length,
      center: map.getCenter().toArray(),
      zoom: map.getZoom(),
      tiles: map.getSource('ecospace').tiles,
    };
  }, RED_FILL);
  assert(info.hasMap, 'window.ecospaceMap is not set');
  assert(info.layer, `style has no layer ${RED_FILL}`);
  assert(info.year === '2025' && info.yearLabel === '2025', `year slider/label should start at 2025, got ${info.year}/${info.yearLabel}`);
  const legendEntries = await page.evaluate(async () => ((await (await fetch('/styles/ecospace.json')).json()).metadata['ecospace:legend'] || []).length);
  assert(legendEntries >= 5 && info.legend === legendEntries, `legend should have one toggle per style legend entry (${legendEntries}), has ${info.legend}`);
  assert(info.tiles && info.tiles.every((t) => /[?&]year=2025\b/.test(t)), `tile URLs should carry year=2025: ${info.tiles}`);
  ok('map loads and goes idle', `centre ${info.center.map((v) => v.toFixed(2)).join(',')} z${info.zoom.toFixed(1)}, ${info.legend} legend toggles, tiles year=2025`);

  // 2. red line rendered at the start view
  step = 'red line rendered';
  const nRed = await page.evaluate((layer) => window.ecospaceMap.queryRenderedFeatures({ layers: [layer] }).length, RED_FILL);
  assert(nRed > 0, `queryRenderedFeatures({layers:['${RED_FILL}']}) returned 0 features at the start view`);
  ok('red line rendered at start view', `${nRed} rendered ${RED_FILL} features`);

  // 2b. the opening view, as a person sees it: every reserve, red-line zone and county is named
  // (names rendered, read back from MapLibre's placed symbols, against the names the server's
  // collections list), the island zones too small to see have a marker, the base map (land, sea,
  // county outlines) lies under the protection layers, and the hatches come from the sprite.
  step = 'opening view';
  const opening = OUT.replace(/\.png$/, '') + '-opening.png';
  await page.screenshot({ path: opening });
  const view = await page.evaluate(async () => {
    const map = window.ecospaceMap;
    const items = async (id) => (await (await fetch(`/collections/${id}/items?limit=10000`)).json()).features;
    const rendered = (layer) => [...new Set(map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.name))].sort();
    // Spherical area of a GeoJSON (Multi)Polygon, km² (shoelace on the sphere, Chamberlain–Duquette).
    const R = 6371.0088;
    const ringArea = (cs) => {
      let a = 0;
      for (let i = 0; i + 1 < cs.length; i++) {
        const [x1, y1] = cs[i];
        const [x2, y2] = cs[i + 1];
        a += ((x2 - x1) * Math.PI / 180) * (2 + Math.sin(y1 * Math.PI / 180) + Math.sin(y2 * Math.PI / 180));
      }
      return Math.abs((a * R * R) / 2);
    };
    const area = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates)
      .reduce((s, p) => s + ringArea(p[0]) - p.slice(1).reduce((h, r) => h + ringArea(r), 0), 0);
    const reserves = await items('nature_reserve');
    const small = reserves.filter((f) => area(f.geometry) < 1).map((f) => {
      const marker = map.queryRenderedFeatures({ layers: ['nature_reserve-marker'] }).find((m) => m.properties.id === f.id);
      return { id: f.id, name: f.properties.name, km2: area(f.geometry), marker: !!marker,
        radius: map.getPaintProperty('nature_reserve-marker', 'circle-radius') };
    });
    const layers = map.getStyle().layers.map((l) => l.id);
    return {
      reserves: reserves.map((f) => f.properties.name).sort(),
      reserveLabels: rendered('nature_reserve-label'),
      redlines: (await items('redline')).map((f) => f.properties.name).sort(),
      redLabels: rendered('redline-label'),
      counties: (await items('county')).map((f) => f.properties.name).sort(),
      countyLabels: rendered('county-label'),
      ground: Object.fromEntries(['land_sea-land', 'land_sea-sea', 'county-outline', 'farmland-hatch', 'nature_reserve-hatch']
        .map((l) => [l, map.queryRenderedFeatures({ layers: [l] }).length])),
      order: Object.fromEntries(['background', 'land_sea-sea', 'land_sea-land', 'county-outline', 'water-fill', 'forest-fill',
        'farmland-hatch', 'urban_boundary-outline', 'water_source-fill', 'redline-fill', 'nature_reserve-hatch', 'shoreline-line',
        'nature_reserve-label'].map((l) => [l, layers.indexOf(l)])),
      images: ['farmland-hatch', 'reserve-hatch'].map((n) => map.hasImage(n)),
      small,
    };
  });
  const missing = (want, got) => want.filter((n) => !got.includes(n));
  assert(view.reserves.length > 0 && missing(view.reserves, view.reserveLabels).length === 0,
    `reserve names not rendered at the opening view: ${missing(view.reserves, view.reserveLabels).join(', ')} (rendered: ${view.reserveLabels.join(', ')})`);
  ok('every reserve named at the opening view', `${view.reserveLabels.length}/${view.reserves.length}: ${view.reserveLabels.join('、')}`);
  assert(missing(view.redlines, view.redLabels).length === 0,
    `red-line names not rendered at the opening view: ${missing(view.redlines, view.redLabels).join(', ')}`);
  ok('every red-line zone named too', `${view.redLabels.length}/${view.redlines.length}`);
  assert(view.counties.length > 0 && missing(view.counties, view.countyLabels).length === 0,
    `county names not rendered: ${missing(view.counties, view.countyLabels).join(', ')} (rendered: ${view.countyLabels.join(', ')})`);
  ok('county names rendered', view.countyLabels.join('、'));
  assert(view.small.length > 0 && view.small.every((z) => z.marker && z.radius >= 6),
    `zones under 1 km² without a marker: ${JSON.stringify(view.small)}`);
  ok('tiny reserves have a marker', view.small.map((z) => `${z.name} ${z.km2.toFixed(2)} km², marker r=${z.radius} px`).join('; '));
  const g = view.ground;
  assert(Object.values(g).every((n) => n > 0), `base map / hatch layers render nothing: ${JSON.stringify(g)}`);
  const o = view.order;
  const ids = Object.keys(o);
  assert(ids.every((id, i) => o[id] >= 0 && (i === 0 || o[ids[i - 1]] < o[id])), `layers out of the intended order (bottom to top): ${JSON.stringify(o)}`);
  assert(view.images.every(Boolean), `sprite images missing: ${view.images}`);
  ok('land, sea and county outlines under the protection layers; hatches from the sprite', JSON.stringify(g));
  console.log(`screenshot (opening view): ${opening}`);

  // 3. click inside a red-line polygon -> panel lists it
  step = 'click to inspect';
  let pt = await redlineInteriorPoint();
  if (!pt) {
    // Polygons too small at this zoom: zoom to the first rendered one.
    await page.evaluate((layer) => {
      const map = window.ecospaceMap;
      const f = map.queryRenderedFeatures({ layers: [layer] })[0];
      const cs = f.geometry.type === 'Polygon' ? f.geometry.coordinates.flat() : f.geometry.coordinates.flat(2);
      const xs = cs.map((c) => c[0]);
      const ys = cs.map((c) => c[1]);
      document.body.dataset.state = 'loading';
      map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { animate: false, padding: 120, maxZoom: 16 });
      map.once('idle', () => { document.body.dataset.state = 'idle'; });
    }, RED_FILL);
    await waitIdle('zoom to a red-line polygon');
    pt = await redlineInteriorPoint();
  }
  assert(pt, 'found no point well inside a rendered red-line polygon');
  const box = await canvasBox();
  await page.evaluate(() => { window.lastResult = null; });
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForFunction(() => window.lastResult && window.lastResult.kind !== undefined, null, { timeout: 20000 })
    .catch(() => { throw new CheckError('no panel result 20 s after clicking the map'); });
  const zr = await page.evaluate(() => window.lastResult);
  assert(zr.kind === 'zones', `click gave a ${zr.kind} result: ${JSON.stringify(zr).slice(0, 300)}`);
  const redZones = zr.response.zones.filter((z) => z.layer === 'redline');
  assert(redZones.length > 0, `/zones at the clicked point lists no red-line zone: ${JSON.stringify(zr.response).slice(0, 300)}`);
  assert(redZones.some((z) => String(z.id) === pt.id), `clicked rendered red-line feature ${pt.id}, /zones lists ${redZones.map((z) => z.id)}`);
  const row = page.locator(`#zones-table tr[data-layer="redline"][data-id="${pt.id}"]`);
  assert((await row.count()) === 1, `panel has no row for red-line zone ${pt.id}`);
  const rowText = await row.innerText();
  assert(rowText.includes('生态保护红线') && rowText.includes(String(redZones[0].name)), `panel row lacks layer title or name: ${rowText}`);
  ok('click inside the red line lists it', `${pt.id} ${pt.name} at ${pt.lngLat.map((v) => v.toFixed(4)).join(',')}`);

  // 4. draw a site around that point and check it -> conflict with the red line
  step = 'draw and check';
  await page.click('#draw-btn');
  const s = 14;
  for (const [dx, dy] of [[-s, -s], [s, -s], [s, s]]) await page.mouse.click(box.x + pt.x + dx, box.y + pt.y + dy);
  await page.evaluate(() => { window.lastResult = null; });
  await page.mouse.dblclick(box.x + pt.x - s, box.y + pt.y + s); // 4th vertex; the double-click closes and checks
  await page.waitForFunction(() => window.lastResult, null, { timeout: 20000 })
    .catch(() => { throw new CheckError('no check result 20 s after the double-click'); });
  const cr = await page.evaluate(() => window.lastResult);
  assert(cr.kind === 'check', `double-click gave a ${cr.kind} result: ${JSON.stringify(cr).slice(0, 300)}`);
  assert(cr.site.coordinates[0].length === 5, `site should have 4 vertices (+closing), has ${cr.site.coordinates[0].length - 1}`);
  assert(cr.response.verdict === 'conflict', `verdict ${cr.response.verdict}, expected conflict`);
  const hit = cr.response.hits.find((h) => h.layer === 'redline' && String(h.id) === pt.id);
  assert(hit, `check hits lack red-line ${pt.id}: ${JSON.stringify(cr.response.hits).slice(0, 300)}`);
  const verdictDom = await page.locator('#verdict').getAttribute('data-verdict');
  assert(verdictDom === 'conflict', `panel verdict shows ${verdictDom}`);
  assert((await page.locator(`#hits-table tr[data-layer="redline"][data-id="${pt.id}"]`).count()) === 1, 'panel has no hit row for the red line');
  ok('draw a site and check', `verdict conflict, ${cr.response.hits.length} hits, red line ${hit.relation} ${(hit.overlap_ratio * 100).toFixed(1)}%`);
  await page.click('#clear-btn');

  // 4b. the same site as a KML file dropped on the map -> the same answer (read by GDAL)
  step = 'drop a site file';
  await page.evaluate(() => { window.lastResult = null; });
  await page.evaluate((ring) => {
    const coords = ring.map(([x, y]) => `${x},${y}`).join(' ');
    const kml = `<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>site</name><Polygon><outerBoundaryIs><LinearRing><coordinates>${coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>`;
    const dt = new DataTransfer();
    dt.items.add(new File([kml], 'site.kml', { type: 'application/vnd.google-earth.kml+xml' }));
    const target = window.ecospaceMap.getContainer();
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, cr.site.coordinates[0]);
  await page.waitForFunction(() => window.lastResult, null, { timeout: 20000 })
    .catch(() => { throw new CheckError('no check result 20 s after dropping a KML'); });
  const dr = await page.evaluate(() => window.lastResult);
  assert(dr.kind === 'check' && dr.file === 'site.kml', `the drop gave ${JSON.stringify(dr).slice(0, 300)}`);
  const dhit = dr.response.hits.find((h) => h.layer === 'redline' && String(h.id) === pt.id);
  assert(dr.response.verdict === cr.response.verdict && dhit, `dropped KML: verdict ${dr.response.verdict}, hits ${JSON.stringify(dr.response.hits).slice(0, 200)}`);
  assert(Math.abs(dhit.overlap_ratio - hit.overlap_ratio) < 1e-6, `dropped KML overlap ${dhit.overlap_ratio} vs drawn ${hit.overlap_ratio}`);
  ok('drop a KML of the site', `verdict ${dr.response.verdict}, red line ${(dhit.overlap_ratio * 100).toFixed(1)}% as drawn`);
  await page.click('#clear-btn').catch(() => {});

  // 5. year slider 2018 -> 2025 changes the natural shoreline rendered
  step = 'year slider';
  await page.evaluate(() => {
    document.body.dataset.state = 'loading';
    const map = window.ecospaceMap;
    map.jumpTo({ center: [120.85, 30.65], zoom: 9 });
    map.once('idle', () => { document.body.dataset.state = 'idle'; });
  });
  await waitIdle('back to the start view');
  const before2018 = seq;
  await page.locator('#year').fill('2018');
  await waitIdle('year 2018');
  const y18 = await naturalShore();
  const label18 = await page.locator('#year-label').textContent();
  const req18 = tileRequests.filter((r) => r.seq > before2018);
  const before2025 = seq;
  await page.locator('#year').fill('2025');
  await waitIdle('year 2025');
  const y25 = await naturalShore();
  const label25 = await page.locator('#year-label').textContent();
  const req25 = tileRequests.filter((r) => r.seq > before2025);

  assert(label18.trim() === '2018' && label25.trim() === '2025', `year label showed ${label18} / ${label25}`);
  assert(y18.tiles.every((t) => /[?&]year=2018\b/.test(t)), `source tiles at 2018: ${y18.tiles}`);
  assert(y25.tiles.every((t) => /[?&]year=2025\b/.test(t)), `source tiles at 2025: ${y25.tiles}`);
  assert(req18.length > 0, 'no tile was requested after moving the slider to 2018');
  assert(req18.every((r) => /[?&]year=2018\b/.test(r.url)), `tile requests after 2018 lack year=2018: ${req18.map((r) => r.url).slice(0, 3)}`);
  assert(req25.every((r) => /[?&]year=2025\b/.test(r.url)), `tile requests after 2025 lack year=2025: ${req25.map((r) => r.url).slice(0, 3)}`);
  ok('year slider switches tile URLs', `${req18.length} tile requests with year=2018, ${req25.length} with year=2025 (others from cache)`);

  assert(y18.all > 0 && y25.all > 0, `no shoreline rendered at the start view (2018: ${y18.all}, 2025: ${y25.all})`);
  const idsDiffer = y18.ids.join() !== y25.ids.join();
  const lenDiffer = Math.abs(y25.length - y18.length) > 0.005 * Math.max(y18.length, y25.length, 1e-9);
  assert(idsDiffer || lenDiffer,
    `natural shoreline rendered is the same in 2018 and 2025 (${y18.ids.length} ids, ${y18.length.toFixed(2)} km)`);
  ok('natural shoreline changes 2018 → 2025',
    `2018: ${y18.ids.length} natural features, ${y18.length.toFixed(1)} km rendered; 2025: ${y25.ids.length}, ${y25.length.toFixed(1)} km`);

  // 6. legend toggle hides a layer
  step = 'legend toggle';
  await page.locator('#toggle-redline').uncheck();
  const vis = await page.evaluate(() => window.ecospaceMap.getLayoutProperty('redline-fill', 'visibility'));
  assert(vis === 'none', `unticking the red line left redline-fill visibility=${vis}`);
  await page.locator('#toggle-redline').check();
  await page.evaluate(() => {
    document.body.dataset.state = 'loading';
    window.ecospaceMap.once('idle', () => { document.body.dataset.state = 'idle'; });
    window.ecospaceMap.triggerRepaint();
  });
  await waitIdle('red line shown again'); // labels fade in: screenshot after that
  ok('legend toggles layers');

  // 7. no uncaught errors, nothing fetched from outside the server
  step = 'clean console';
  assert(pageErrors.length === 0, `uncaught page errors:\n${pageErrors.join('\n')}`);
  assert(foreign.length === 0, `page tried to load from outside the server: ${foreign.slice(0, 5).join(', ')}`);
  ok('no page errors, no outside requests', consoleErrors.length ? `${consoleErrors.length} console errors (not fatal): ${consoleErrors.slice(0, 2).join(' | ')}` : '');

} catch (e) {
  failed++;
  console.log(`FAIL ${step}: ${e instanceof CheckError ? e.message : e.stack || e}`);
  if (pageErrors.length) console.log(`page errors:\n${pageErrors.join('\n')}`);
  if (consoleErrors.length) console.log(`console errors:\n${consoleErrors.slice(0, 10).join('\n')}`);
}

try {
  await page.screenshot({ path: OUT });
  console.log(`screenshot: ${OUT}`);
} catch (e) {
  failed++;
  console.log(`FAIL screenshot: ${e.message}`);
}
await browser.close();
console.log(`map check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

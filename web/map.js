// ecospace map page: MapLibre map of Jiaxing's ecological space with a year slider, a legend with
// toggles, click-to-inspect (GET /zones) and draw-a-site-and-check (POST /check).
// Plain ES2020, no build step; maplibregl is the global from /assets/maplibre-gl/maplibre-gl.js.
//
// Hooks for tests: window.ecospaceMap (the map), document.body.dataset.state ("loading" while
// tiles for a new year load, "idle" once the map is idle after the first load or a year change;
// "error" if the page could not start), window.lastResult (the last panel result),
// window.ecospace (the page's functions: setYear, inspect, startDrawing, addVertex, checkSite, ...).

/* global maplibregl */

const SOURCE_ID = 'ecospace';
const LABEL_SOURCE_ID = 'labels'; // GeoJSON label points (/labels/{layers}): one per zone
const STYLE_PATH = '/styles/ecospace.json';
const YEAR_MIN = 2018;
const YEAR_MAX = 2025;
const LINE_LAYERS = ['shoreline-line', 'river_bank-line'];

// Fallback titles when the style's metadata lacks a layer (the style normally provides them).
const TITLES = {
  land_sea: ['陆地与海域', 'Land and sea'],
  county: ['县（市、区）', 'Counties'],
  water: ['水域', 'Water'],
  forest: ['林地', 'Forest'],
  farmland: ['永久基本农田', 'Permanent basic farmland'],
  urban_boundary: ['城镇开发边界', 'Urban development boundary'],
  redline: ['生态保护红线', 'Ecological protection red line'],
  nature_reserve: ['自然保护地', 'Nature protected areas'],
  water_source: ['饮用水水源保护区', 'Drinking-water source protection zones'],
  shoreline: ['海岸线', 'Shoreline'],
  river_bank: ['河湖岸线', 'River and lake banks'],
};
const LEVELS = { 1: ['一级保护区', 'level 1'], 2: ['二级保护区', 'level 2'], 3: ['准保护区', 'buffer zone'] };
const RELATIONS = {
  within: ['位于其内', 'within'],
  contains: ['包含', 'contains'],
  overlaps: ['部分重叠', 'overlaps'],
  crosses: ['穿越', 'crosses'],
  touches: ['边界相接', 'touches'],
  near: ['邻近', 'near'],
};
const VERDICTS = {
  conflict: ['冲突', 'conflict'],
  near: ['邻近', 'near'],
  clear: ['无冲突', 'clear'],
};

const $ = (sel) => document.querySelector(sel);
const panel = $('#panel');

const state = {
  year: YEAR_MAX,
  tilejson: null, // the vector source's TileJSON URL (from the style)
  labelsUrl: null, // the label source's GeoJSON URL (from the style), without the year
  tilesTemplate: null, // tile URL template(s) of the current year
  drawing: false,
  vertices: [], // [[lon, lat], ...] of the site being drawn
  lastAction: null, // re-run on a year change: () => Promise
  yearRequest: 0,
};
window.lastResult = null;

// ---------- small helpers ----------

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
function bi(pair, fallback) {
  if (!pair) return esc(fallback ?? '');
  return `${esc(pair[0])} <span class="en">${esc(pair[1])}</span>`;
}
function layerTitle(id) {
  return bi(state.titles?.[id] || TITLES[id], id);
}
function levelText(level) {
  if (level === undefined || level === null || level === '') return '';
  return bi(LEVELS[Number(level)], String(level));
}
function fmt(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
function setState(s) {
  document.body.dataset.state = s;
}
async function getJSON(url, init) {
  const res = await fetch(url, init);
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    /* not JSON */
  }
  if (!res.ok) {
    const msg = body && (body.message || body.error) ? `${body.error ?? ''}: ${body.message ?? ''}` : res.statusText;
    const err = new Error(`${res.status} ${msg}`);
    err.status = res.status;
    err.body = body;
    throw err;
  }
  return body;
}
function withYear(url, year) {
  // String surgery, not URL(): URL() would percent-encode the {z}/{x}/{y} placeholders.
  const [path, query = ''] = url.split('?');
  const params = query.split('&').filter((p) => p && !p.startsWith('year='));
  params.push(`year=${year}`);
  return `${path}?${params.join('&')}`;
}
function whenIdle(map) {
  // 'idle' fires from a rendered frame once every source is loaded and nothing moves. MapLibre may
  // render no frame after the last tile fails (e.g. a base map answering 404), so nudge it with a
  // repaint now and then; each nudged frame fires 'idle' again if all is loaded. Done when both
  // our sources are loaded: the tiles and the label points.
  return new Promise((resolve) => {
    let timer = null;
    const check = () => {
      if (map.isSourceLoaded(SOURCE_ID) && (!map.getSource(LABEL_SOURCE_ID) || map.isSourceLoaded(LABEL_SOURCE_ID))) {
        clearInterval(timer);
        map.off('idle', check);
        resolve();
      }
    };
    map.on('idle', check);
    timer = setInterval(() => map.triggerRepaint(), 300);
    map.triggerRepaint();
  });
}

// ---------- page query: ?year=YYYY and ?basemap=tianditu|tianditu-img|<XYZ template> ----------

// Tianditu through this server (/basemap/tianditu/…), which adds its key: the page never holds it.
const TIANDITU = {
  tianditu: ['vec', 'cva'],
  'tianditu-img': ['img', 'cia'],
};

function pageOptions() {
  const raw = window.location.search.replace(/^\?/, '');
  const opts = { year: YEAR_MAX, basemap: null, basemapAttribution: null };
  // basemap= takes the rest of the query string, so an unencoded template with its own '&' works;
  // put it last, or percent-encode it. (For Tianditu use basemap=tianditu: a template with &tk=KEY
  // would show the key to every visitor.)
  const i = raw.search(/(^|&)basemap=/);
  let rest = raw;
  if (i >= 0) {
    const start = raw.indexOf('basemap=', i) + 'basemap='.length;
    let tpl = raw.slice(start);
    try {
      tpl = decodeURIComponent(tpl);
    } catch (_) {
      /* keep as is */
    }
    if (TIANDITU[tpl] || /^https?:\/\//.test(tpl) || tpl.startsWith('/')) opts.basemap = tpl;
    rest = raw.slice(0, i);
  }
  const q = new URLSearchParams(rest);
  const y = Number(q.get('year'));
  if (Number.isInteger(y) && y >= YEAR_MIN && y <= YEAR_MAX) opts.year = y;
  if (q.get('attribution')) opts.basemapAttribution = q.get('attribution');
  return opts;
}

// ---------- map ----------

async function start() {
  const opts = pageOptions();
  state.year = opts.year;
  $('#year').value = String(opts.year);
  $('#year-label').value = String(opts.year);

  const style = await getJSON(STYLE_PATH);
  const src = style.sources[SOURCE_ID];
  state.tilejson = src.url || null;
  // Ask the TileJSON for the chosen year from the start, so the first tiles are of that year.
  if (src.url) src.url = withYear(src.url, state.year);
  if (src.tiles) src.tiles = src.tiles.map((t) => withYear(t, state.year));
  const labels = style.sources[LABEL_SOURCE_ID];
  if (labels && typeof labels.data === 'string') {
    state.labelsUrl = labels.data;
    labels.data = withYear(labels.data, state.year);
  }
  state.legend = (style.metadata && style.metadata['ecospace:legend']) || [];
  state.titles = Object.fromEntries(state.legend.map((l) => [l.id, [l.title_zh, l.title_en]]));

  if (opts.basemap) {
    // A Tianditu choice is two raster layers (the map and its labels), else one user template.
    const parts = TIANDITU[opts.basemap]
      ? TIANDITU[opts.basemap].map((layer) => ({
          id: `basemap-${layer}`,
          tiles: [`/basemap/tianditu/${layer}/{z}/{x}/{y}`],
          attribution: '底图 base map: 天地图 Tianditu (国家地理信息公共服务平台)',
        }))
      : [{ id: 'basemap', tiles: [opts.basemap], attribution: opts.basemapAttribution || '底图 base map: user-supplied' }];
    const at = style.layers.findIndex((l) => l.type !== 'background');
    parts.forEach((p, k) => {
      style.sources[p.id] = { type: 'raster', tiles: p.tiles, tileSize: 256, maxzoom: 18, attribution: p.attribution };
      style.layers.splice((at < 0 ? style.layers.length : at) + k, 0, { id: p.id, type: 'raster', source: p.id });
    });
  }

  const map = new maplibregl.Map({
    container: 'map',
    style,
    center: [120.85, 30.65],
    zoom: 9,
    minZoom: 0,
    maxZoom: 18,
    hash: false,
    attributionControl: { compact: true },
    // Every glyph from the server's SDF ranges (/fonts, Noto Sans CJK SC): MapLibre's local
    // ideograph drawing also claims the fullwidth forms and drops those its canvas font lacks
    // (the "（" of 京杭运河（桐乡石门段）). The ranges are gzip-served and cached for a day.
    localIdeographFontFamily: false,
    // Headless test runs read pixels back for screenshots.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  window.ecospaceMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

  map.on('error', (e) => {
    // Keep going: a failed tile is not fatal; show it for people and tests.
    console.warn('map error:', e && e.error ? e.error.message || e.error : e);
  });

  // 'style.load', not 'load': 'load' waits for a rendered frame after the last tile, which may never
  // come when a base-map tile fails; the overlays only need the style.
  if (!map.isStyleLoaded()) await new Promise((resolve) => map.once('style.load', resolve));
  addOverlayLayers(map);
  buildLegend(map);
  const srcObj = map.getSource(SOURCE_ID);
  state.tilesTemplate = srcObj && srcObj.tiles ? srcObj.tiles.slice() : null;
  wireUi(map);
  await whenIdle(map);
  setState('idle');
}

function addOverlayLayers(map) {
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('draft', { type: 'geojson', data: empty });
  map.addSource('inspect', { type: 'geojson', data: empty });
  map.addLayer({
    id: 'draft-fill', type: 'fill', source: 'draft', filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': '#ffb300', 'fill-opacity': 0.25 },
  });
  map.addLayer({
    id: 'draft-line', type: 'line', source: 'draft', filter: ['!=', ['geometry-type'], 'Point'],
    paint: { 'line-color': '#e65100', 'line-width': 2, 'line-dasharray': [2, 1] },
  });
  map.addLayer({
    id: 'draft-vertex', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': '#e65100', 'circle-stroke-width': 2 },
  });
  map.addLayer({
    id: 'inspect-point', type: 'circle', source: 'inspect',
    paint: { 'circle-radius': 6, 'circle-color': '#212121', 'circle-opacity': 0.2, 'circle-stroke-color': '#212121', 'circle-stroke-width': 2 },
  });
}

// ---------- legend ----------

// A legend item's swatch, drawn as the map draws it: a fill (with its outline, dashed or not), a
// line (dashed or not), a hatch (lines at 45° over a background, as the style's sprite draws
// them), or a ring marker.
function swatch(it) {
  const c = esc(it.color);
  const dashedLine = (col) => `repeating-linear-gradient(90deg, ${col} 0 5px, transparent 5px 8px)`;
  let css;
  let kind = it.kind;
  if (kind === 'line') css = `background:${it.dashed ? dashedLine(c) : c}`;
  else if (kind === 'hatch') {
    const angle = it.slant === 'falling' ? '-45deg' : '45deg';
    css = `background:repeating-linear-gradient(${angle}, ${c} 0 1.5px, ${esc(it.background || 'transparent')} 1.5px 5px);`
      + (it.outline ? `border:1.5px solid ${esc(it.outline)}` : '');
  } else if (kind === 'marker') css = `border:2px solid ${c};border-radius:50%`;
  else {
    kind = 'fill';
    css = `background:${c};` + (it.outline ? `border:1.5px ${it.dashed ? 'dashed' : 'solid'} ${esc(it.outline)}` : '');
  }
  return `<span class="swatch ${kind}" style="${css}"></span>`;
}

function buildLegend(map) {
  const ul = $('#legend');
  ul.innerHTML = '';
  for (const entry of state.legend) {
    const li = document.createElement('li');
    const id = `toggle-${entry.id}`;
    const layers = (entry.layers || []).filter((l) => map.getLayer(l));
    const visible = layers.every((l) => map.getLayoutProperty(l, 'visibility') !== 'none');
    li.innerHTML = `<label for="${esc(id)}"><input type="checkbox" id="${esc(id)}" data-layer="${esc(entry.id)}"${visible ? ' checked' : ''}>
      ${esc(entry.title_zh)} <span class="en">${esc(entry.title_en)}</span></label>
      <ul class="items">${(entry.items || []).map((it) => `<li>${swatch(it)}
          ${esc(it.label_zh)} <span class="en">${esc(it.label_en)}</span></li>`).join('')}</ul>`;
    li.querySelector('input').addEventListener('change', (ev) => {
      for (const l of layers) map.setLayoutProperty(l, 'visibility', ev.target.checked ? 'visible' : 'none');
    });
    ul.appendChild(li);
  }
}

// ---------- year ----------

async function setYear(map, year) {
  year = Math.min(YEAR_MAX, Math.max(YEAR_MIN, Math.round(Number(year))));
  const req = ++state.yearRequest;
  state.year = year;
  $('#year').value = String(year);
  $('#year-label').value = String(year);
  setState('loading');
  let tiles;
  try {
    if (!state.tilejson) throw new Error('the style names no TileJSON');
    const tj = await getJSON(withYear(state.tilejson, year));
    tiles = (tj.tiles || []).map((t) => withYear(t, year));
  } catch (err) {
    console.warn('TileJSON failed, rewriting the tile template instead:', err.message);
  }
  if (!tiles || tiles.length === 0) {
    const base = state.tilesTemplate || map.getSource(SOURCE_ID).tiles || [];
    tiles = base.map((t) => withYear(t, year));
  }
  if (req !== state.yearRequest) return; // a later move of the slider won
  state.tilesTemplate = tiles;
  map.getSource(SOURCE_ID).setTiles(tiles);
  const labels = map.getSource(LABEL_SOURCE_ID);
  if (labels && state.labelsUrl) labels.setData(withYear(state.labelsUrl, year));
  await whenIdle(map);
  if (req !== state.yearRequest) return;
  if (state.lastAction) {
    try {
      await state.lastAction();
    } catch (err) {
      showError(err);
    }
  }
  if (req === state.yearRequest) setState('idle');
}

// ---------- click to inspect ----------

async function inspect(map, lngLat) {
  const { lng, lat } = lngLat;
  const year = state.year;
  map.getSource('inspect').setData({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lng, lat] } });
  const pt = map.project([lng, lat]);
  const box = [[pt.x - 5, pt.y - 5], [pt.x + 5, pt.y + 5]];
  const layers = LINE_LAYERS.filter((l) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
  const seen = new Set();
  const lines = [];
  for (const f of layers.length ? map.queryRenderedFeatures(box, { layers }) : []) {
    const key = `${f.sourceLayer}:${f.properties.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push({ layer: f.sourceLayer, id: f.properties.id, name: f.properties.name, properties: { ...f.properties } });
  }
  panel.innerHTML = `<p class="muted">查询中 querying… ${fmt(lng, 5)}, ${fmt(lat, 5)}</p>`;
  const url = `/zones?lon=${lng.toFixed(7)}&lat=${lat.toFixed(7)}&year=${year}`;
  const res = await getJSON(url);
  window.lastResult = { kind: 'zones', year, lngLat: [lng, lat], response: res, lines };
  state.lastAction = () => inspect(map, lngLat);
  renderZones(window.lastResult);
  return window.lastResult;
}

function renderZones(r) {
  const zones = r.response.zones || [];
  const rows = zones.map((z) => `<tr data-layer="${esc(z.layer)}" data-id="${esc(z.id)}">
      <td>${layerTitle(z.layer)}</td><td>${esc(z.name)}${z.on_boundary ? ' <span class="muted">(边界上 on boundary)</span>' : ''}</td>
      <td>${esc(z.id)}</td><td>${levelText(z.properties && z.properties.level)}</td></tr>`).join('');
  const lineRows = r.lines.map((l) => {
    const p = l.properties;
    let what = '';
    if (l.layer === 'shoreline') what = p.class === 'natural' ? '自然岸线 <span class="en">natural</span>' : p.class === 'artificial' ? '人工岸线 <span class="en">artificial</span>' : esc(p.class);
    if (l.layer === 'river_bank') what = `${esc(p.river ?? '')} ${esc(p.side ?? '')} ${p.protected === true || p.protected === 'true' ? '受保护 <span class="en">protected</span>' : '未保护 <span class="en">not protected</span>'}`;
    return `<tr data-layer="${esc(l.layer)}" data-id="${esc(l.id)}"><td>${layerTitle(l.layer)}</td><td>${esc(l.name)}</td><td>${esc(l.id)}</td><td>${what}</td></tr>`;
  }).join('');
  panel.innerHTML = `<h2>所在区域 <span class="en">Zones here</span> · ${esc(r.year)}</h2>
    <p class="muted">${fmt(r.lngLat[0], 5)}°E, ${fmt(r.lngLat[1], 5)}°N</p>
    ${zones.length ? `<table id="zones-table"><thead><tr><th>图层 <span class="en">layer</span></th><th>名称 <span class="en">name</span></th><th>编号 <span class="en">id</span></th><th>级别 <span class="en">level</span></th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p id="zones-none">不在任何生态空间区域内。<span class="en">In no protected zone.</span></p>'}
    <h3>附近线要素 <span class="en">Lines under the click</span></h3>
    ${r.lines.length ? `<table id="lines-table"><thead><tr><th>图层 <span class="en">layer</span></th><th>名称 <span class="en">name</span></th><th>编号 <span class="en">id</span></th><th>属性 <span class="en">kind</span></th></tr></thead><tbody>${lineRows}</tbody></table>`
      : '<p class="muted">无 <span class="en">none</span></p>'}`;
}

// ---------- draw a site and check ----------

function draftData() {
  const v = state.vertices;
  const features = v.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
  if (v.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...v, v[0]]] } });
  else if (v.length === 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: v } });
  return { type: 'FeatureCollection', features };
}
function refreshDraft(map) {
  map.getSource('draft').setData(draftData());
  $('#check-btn').disabled = !(state.drawing && state.vertices.length >= 3);
  $('#clear-btn').disabled = state.vertices.length === 0 && !state.drawing;
  if (state.drawing) {
    $('#hint').innerHTML = `已有 ${state.vertices.length} 个顶点：继续单击添加，双击或点“检查”闭合并检查。<br>
      <span class="en">${state.vertices.length} vertices: click to add, double-click or “Check” to close and check.</span>`;
  }
}
function startDrawing(map) {
  state.drawing = true;
  state.vertices = [];
  document.body.classList.add('drawing');
  $('#draw-btn').classList.add('active');
  map.doubleClickZoom.disable();
  refreshDraft(map);
}
function stopDrawing(map) {
  state.drawing = false;
  document.body.classList.remove('drawing');
  $('#draw-btn').classList.remove('active');
  $('#check-btn').disabled = true;
  map.doubleClickZoom.enable();
  $('#hint').innerHTML = '点击地图查询所在区域；或绘制场址后检查冲突。<br><span class="en">Click the map to list the zones there, or draw a site and check it.</span>';
}
function addVertex(map, lngLat) {
  const p = map.project(lngLat);
  const last = state.vertices[state.vertices.length - 1];
  // The two clicks of a double-click land on the same spot: keep one vertex.
  if (last) {
    const q = map.project(last);
    if (Math.hypot(p.x - q.x, p.y - q.y) < 4) return;
  }
  state.vertices.push([Number(lngLat.lng.toFixed(7)), Number(lngLat.lat.toFixed(7))]);
  refreshDraft(map);
}
function clearDraft(map) {
  state.vertices = [];
  if (state.drawing) stopDrawing(map);
  map.getSource('draft').setData({ type: 'FeatureCollection', features: [] });
  $('#check-btn').disabled = true;
  $('#clear-btn').disabled = true;
}
function sitePolygon(vertices) {
  const ring = [...vertices, vertices[0]];
  // RFC 7946: exterior rings counter-clockwise.
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  if (a < 0) ring.reverse();
  return { type: 'Polygon', coordinates: [ring] };
}

async function checkSite(map, geometry) {
  if (!geometry) {
    if (state.vertices.length < 3) throw new Error('a site needs at least 3 vertices / 场址至少需要 3 个顶点');
    geometry = sitePolygon(state.vertices);
    stopDrawing(map);
    $('#clear-btn').disabled = false;
  }
  map.getSource('draft').setData({
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: {}, geometry },
      ...geometry.coordinates[0].slice(0, -1).map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } })),
    ],
  });
  const year = state.year;
  panel.innerHTML = '<p class="muted">检查中 checking…</p>';
  const res = await getJSON(`/check?year=${year}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(geometry),
  });
  window.lastResult = { kind: 'check', year, site: geometry, response: res };
  state.lastAction = () => checkSite(map, geometry);
  renderCheck(window.lastResult);
  return window.lastResult;
}

// A site file dropped on the map (DXF, zipped Shapefile, KML/KMZ, GeoPackage, GeoJSON) goes to
// POST /check as it is; the server reads it through GDAL. A DXF carries no CRS: it is asked for.
const DROP_TYPES = {
  dxf: 'application/dxf',
  zip: 'application/zip',
  kml: 'application/vnd.google-earth.kml+xml',
  kmz: 'application/vnd.google-earth.kmz',
  gpkg: 'application/geopackage+sqlite3',
  geojson: 'application/json',
  json: 'application/json',
};

async function checkFile(map, file) {
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  let query = `year=${state.year}`;
  if (ext === 'dxf') {
    const crs = window.prompt('图纸坐标系 CRS of the drawing (CGCS2000 Gauss-Krüger)', 'EPSG:4549');
    if (!crs) return null;
    query += `&crs=${encodeURIComponent(crs)}`;
  }
  panel.innerHTML = '<p class="muted">检查中 checking…</p>';
  const raw = await getJSON(`/check?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': DROP_TYPES[ext] || 'application/octet-stream' },
    body: await file.arrayBuffer(),
  });
  const res = raw.results ? raw.results[0] : raw;
  const b = res.site && res.site.bbox;
  if (b) {
    const box = { type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] };
    map.getSource('draft').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: box }] });
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 16 });
  }
  window.lastResult = { kind: 'check', year: state.year, file: file.name, response: res };
  renderCheck(window.lastResult);
  return window.lastResult;
}

function renderCheck(r) {
  const res = r.response;
  const v = res.verdict;
  const hits = res.hits || [];
  const rows = hits.map((h) => {
    const level = h.properties && h.properties.level;
    return `<tr data-layer="${esc(h.layer)}" data-id="${esc(h.id)}">
      <td>${layerTitle(h.layer)}</td>
      <td>${esc(h.name)}${level ? `<br><span class="muted">${levelText(level)}</span>` : ''}<br><span class="muted">${esc(h.id)}</span></td>
      <td>${bi(RELATIONS[h.relation], h.relation)}${h.constraint ? '' : '<br><span class="muted">非约束 advisory</span>'}</td>
      <td class="num">${fmt(h.overlap_area_m2)}${h.overlap_length_m != null ? `<br><span class="muted">${fmt(h.overlap_length_m)} m</span>` : ''}</td>
      <td class="num">${h.overlap_ratio != null ? fmt(h.overlap_ratio * 100, 1) + '%' : '—'}</td>
      <td class="num">${fmt(h.distance_m)}</td></tr>`;
  }).join('');
  const site = res.site || {};
  panel.innerHTML = `<h2>场址检查 <span class="en">Site check</span> · ${esc(r.year)}</h2>
    <p>结论 <span class="en">verdict</span>: <span id="verdict" class="verdict ${esc(v)}" data-verdict="${esc(v)}">${bi(VERDICTS[v], v)}</span></p>
    <p class="muted">场址面积 site area ${fmt(site.area_m2)} m² · 周长 perimeter ${fmt(site.length_m)} m</p>
    ${hits.length ? `<table id="hits-table"><thead><tr><th>图层 <span class="en">layer</span></th><th>名称 <span class="en">name</span></th><th>关系 <span class="en">relation</span></th>
      <th>重叠 m² <span class="en">overlap</span></th><th>占比 <span class="en">share</span></th><th>距离 m <span class="en">distance</span></th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p>附近无生态空间要素。<span class="en">No ecological-space feature nearby.</span></p>'}`;
}

function showError(err) {
  window.lastResult = { kind: 'error', year: state.year, error: err.message, body: err.body || null };
  panel.innerHTML = `<p class="error">出错 <span class="en">error</span>: ${esc(err.message)}</p>`;
}

// ---------- wiring ----------

function wireUi(map) {
  const slider = $('#year');
  slider.addEventListener('input', () => {
    $('#year-label').value = slider.value;
  });
  slider.addEventListener('change', () => {
    setYear(map, Number(slider.value)).catch(showError);
  });

  $('#draw-btn').addEventListener('click', () => {
    if (state.drawing) clearDraft(map);
    else startDrawing(map);
  });
  $('#check-btn').addEventListener('click', () => checkSite(map).catch(showError));
  const area = map.getContainer();
  area.addEventListener('dragover', (e) => e.preventDefault());
  area.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) checkFile(map, file).catch(showError);
  });
  $('#clear-btn').addEventListener('click', () => {
    clearDraft(map);
    state.lastAction = null;
  });

  map.on('click', (e) => {
    if (state.drawing) {
      addVertex(map, e.lngLat);
      return;
    }
    inspect(map, e.lngLat).catch(showError);
  });
  map.on('dblclick', (e) => {
    if (!state.drawing) return;
    e.preventDefault();
    if (state.vertices.length >= 3) checkSite(map).catch(showError);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.drawing) clearDraft(map);
  });

  window.ecospace = {
    setYear: (y) => setYear(map, y),
    inspect: (lng, lat) => inspect(map, { lng, lat }),
    startDrawing: () => startDrawing(map),
    addVertex: (lng, lat) => addVertex(map, { lng, lat }),
    checkSite: (geometry) => checkSite(map, geometry),
    clear: () => clearDraft(map),
    state,
  };
}

start().catch((err) => {
  console.error(err);
  setState('error');
  panel.innerHTML = `<p class="error">地图无法启动 <span class="en">the map could not start</span>: ${esc(err.message)}</p>`;
});

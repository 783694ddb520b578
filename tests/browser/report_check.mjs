#!/usr/bin/env node
// Headless-browser check of a printable ecospace report (a saved HTML file).
//
//   node tests/browser/report_check.mjs REPORT.html EXPECT_JSON OUT_PREFIX
//
// EXPECT_JSON: {"hits": n, "overlaps": n, "rings": n, "decision": "prohibited"|…|null, "lang": "zh"|"en",
//               "levels": [1, 2, 3] (optional: protection levels the map must show apart),
//               "counties": ["南湖区", …] (optional: county names the map must show; [] = none),
//               "boundary": true|false (optional: whether a county boundary is in view)}
// Opens the file with every network request blocked (the report must be self-contained), checks
// its structure from the DOM (map SVG with the site, overlaps and rings; one table row per hit;
// the decision; the legend against what the map drew; ring labels on their rings; measures kept
// on one line), measures that the map is laid out, then prints it to PDF (A4) and a PNG, and
// reads the PDF's pages back (pdftotext) to find each section heading on its table's page.
// Prints one line per check and `report check: N passed, M failed`; exits 1 on any failure.

import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const [FILE, EXPECT, OUT] = process.argv.slice(2);
if (!FILE || !EXPECT || !OUT) {
  console.error('usage: node tests/browser/report_check.mjs REPORT.html EXPECT_JSON OUT_PREFIX');
  process.exit(2);
}
const want = JSON.parse(EXPECT);
let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok   ${name}${detail ? ` — ${detail}` : ''}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? ` — ${detail}` : ''}`);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
  const url = pathToFileURL(FILE).href;
  const foreign = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url || u.startsWith('data:')) return route.continue();
    foreign.push(u);
    return route.abort();
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });

  const dom = await page.evaluate(() => {
    const svg = document.querySelector('svg.map');
    const box = svg ? svg.getBoundingClientRect() : null;
    const d = document.querySelector('.answer');
    return {
      lang: document.documentElement.lang,
      scripts: document.querySelectorAll('script').length,
      svg: !!svg,
      width: box ? box.width : 0,
      height: box ? box.height : 0,
      site: document.querySelectorAll('svg.map .site').length,
      overlaps: document.querySelectorAll('svg.map path.overlap').length,
      rings: document.querySelectorAll('svg.map path.ring').length,
      features: document.querySelectorAll('svg.map path.feature').length,
      hits: document.querySelectorAll('table.hits tr.hit').length,
      ringRows: document.querySelectorAll('table.rings tr.ring-row').length,
      answerClass: d ? d.className : '',
      digest: (document.querySelector('code.digest') || {}).textContent || '',
      // The site outline lies inside the map's viewBox (drawn where it should be).
      siteInside: (() => {
        const s = document.querySelector('svg.map .site');
        if (!svg || !s) return false;
        const vb = svg.viewBox.baseVal;
        const b = s.getBBox();
        return b.x >= vb.x && b.y >= vb.y && b.x + b.width <= vb.x + vb.width && b.y + b.height <= vb.y + vb.height;
      })(),
    };
  });
  check('no network requests', foreign.length === 0, foreign.join(' '));
  check('no page errors', errors.length === 0, errors.join(' '));
  check('no JavaScript in the report', dom.scripts === 0, `${dom.scripts} scripts`);
  check('language', dom.lang === (want.lang === 'en' ? 'en' : 'zh-CN'), dom.lang);
  check('map laid out', dom.svg && dom.width > 300 && Math.abs(dom.width - dom.height) < 2, `${dom.width}×${dom.height} px`);
  check('site drawn inside the map', dom.site === 1 && dom.siteInside);
  check('zones drawn', dom.features > 0, `${dom.features} features`);
  check('overlaps drawn', dom.overlaps === want.overlaps, `${dom.overlaps} (want ${want.overlaps})`);
  check('rings drawn', dom.rings === want.rings, `${dom.rings} (want ${want.rings})`);
  check('one row per hit', dom.hits === want.hits, `${dom.hits} (want ${want.hits})`);
  check('ring table', dom.ringRows >= want.rings, `${dom.ringRows} rows`);
  check('decision', want.decision ? dom.answerClass.includes(want.decision) : dom.answerClass.includes('none'), dom.answerClass);
  check('request digest', /^[0-9a-f]{16}$/.test(dom.digest), dom.digest);

  // The legend against the map, both read from the DOM: the legend's entries are the kinds of
  // shape drawn (data-legend of every shape in the SVG), and the layers it names are the layers
  // of the drawn features (their data-layer).
  const lg = await page.evaluate(() => {
    const svg = document.querySelector('svg.map');
    const uniq = (xs) => [...new Set(xs)].sort();
    const drawnKeys = uniq([...svg.querySelectorAll('[data-legend]')].map((e) => e.dataset.legend));
    const drawnLayers = uniq([...svg.querySelectorAll('path.feature')].map((e) => e.dataset.layer));
    const items = [...document.querySelectorAll('ul.legend > li')];
    const legendKeys = items.map((li) => li.dataset.legend || '(none)');
    const legendLayers = uniq(legendKeys.filter((k) => !['site', 'overlap', 'ring'].includes(k)).map((k) => k.split(':')[0]));
    const blank = items.filter((li) => !li.textContent.trim()).length;
    // Per protection level: the fills drawn, and the legend swatch's colour.
    const levels = {};
    for (const e of svg.querySelectorAll('path.feature')) {
      const m = /:level-(\d+)$/.exec(e.dataset.legend || '');
      if (m) (levels[m[1]] ??= { fills: new Set(), dashed: new Set() }).fills.add(e.getAttribute('fill'));
      if (m) levels[m[1]].dashed.add(e.hasAttribute('stroke-dasharray'));
    }
    const swatch = (key) => {
      const li = items.find((x) => x.dataset.legend === key);
      return li ? getComputedStyle(li.querySelector('.sw')).backgroundColor : null;
    };
    const lv = Object.fromEntries(Object.entries(levels).map(([n, v]) => {
      const key = [...svg.querySelectorAll('path.feature')].map((e) => e.dataset.legend).find((k) => k && k.endsWith(`:level-${n}`));
      return [n, { fills: [...v.fills], dashed: [...v.dashed], swatch: swatch(key), key }];
    }));
    // Ring labels: distance from each label's centre to its own ring's line (sampled).
    const rings = [...svg.querySelectorAll('text.ring-label')].map((t) => {
      const ring = svg.querySelector(`path.ring[data-ring="${t.dataset.ring}"]`);
      if (!ring) return { ring: t.dataset.ring, d: Infinity, size: 1 };
      const b = t.getBBox();
      const cx = b.x + b.width / 2;
      const cy = b.y + b.height / 2;
      const total = ring.getTotalLength();
      let d = Infinity;
      for (let i = 0; i <= 4000; i++) {
        const p = ring.getPointAtLength((total * i) / 4000);
        d = Math.min(d, Math.hypot(p.x - cx, p.y - cy));
      }
      return { ring: t.dataset.ring, d, size: parseFloat(t.getAttribute('font-size')) };
    });
    const counties = [...svg.querySelectorAll('text.county-label')].map((t) => t.textContent);
    const outlines = svg.querySelectorAll('path.feature[data-legend$=":outline"]').length;
    return { drawnKeys, drawnLayers, legendKeys, legendLayers, blank, lv, rings, counties, outlines };
  });
  check('legend lists exactly what the map drew',
    JSON.stringify([...lg.legendKeys].sort()) === JSON.stringify(lg.drawnKeys) && lg.legendKeys.length === new Set(lg.legendKeys).size && lg.blank === 0,
    `legend ${lg.legendKeys.join(' ')} | drawn ${lg.drawnKeys.join(' ')}`);
  check('legend names the drawn layers', JSON.stringify(lg.legendLayers) === JSON.stringify(lg.drawnLayers),
    `legend ${lg.legendLayers.join(' ')} | drawn ${lg.drawnLayers.join(' ')}`);
  const shown = Object.keys(lg.lv).map(Number).sort();
  const allFills = Object.values(lg.lv).map((v) => v.fills);
  const swatches = Object.values(lg.lv).map((v) => v.swatch);
  check('protection levels drawn apart',
    (!want.levels || JSON.stringify(shown) === JSON.stringify(want.levels))
      && allFills.every((f) => f.length === 1) && new Set(allFills.map((f) => f[0])).size === allFills.length
      && new Set(swatches).size === swatches.length && !swatches.includes(null)
      && Object.entries(lg.lv).every(([n, v]) => v.dashed.length === 1 && v.dashed[0] === (Number(n) >= 3)),
    JSON.stringify(lg.lv));
  check('ring labels sit on their rings', lg.rings.length === want.rings && lg.rings.every((r) => r.d < r.size * 0.3),
    lg.rings.map((r) => `${r.ring} m: ${r.d.toFixed(1)} from its line (font ${r.size.toFixed(0)})`).join(', '));
  if (want.counties) {
    const ok = JSON.stringify([...lg.counties].sort()) === JSON.stringify([...want.counties].sort())
      && (want.boundary === undefined || want.boundary === lg.outlines > 0);
    check('county outlines and names', ok, `names ${lg.counties.join(' ')} (want ${want.counties.join(' ')}), ${lg.outlines} outlines`);
  }

  await page.emulateMedia({ media: 'print' });
  // Laid out as printed (A4's width at 96 dpi): measures in the hit and ring tables (areas,
  // shares, distances) each on one line: number and unit never part.
  await page.setViewportSize({ width: 794, height: 1123 });
  const broken = await page.evaluate(() => [...document.querySelectorAll('table.hits td.num, table.rings td.num')].filter((td) => {
    const r = document.createRange();
    r.selectNodeContents(td);
    return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1;
  }).map((td) => td.textContent));
  check('measures kept on one line (printed width)', broken.length === 0, broken.join(' | '));
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(`${OUT}.pdf`, pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  check('printed to PDF', pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 20000 && pages >= 1 && pages <= 4, `${pdf.length} bytes, ${pages} pages`);
  // Each section heading on the same printed page as the start of its table: what follows the
  // heading on its page includes the table's first header cell (a heading stranded at a page's
  // foot has nothing after it there).
  const sections = await page.evaluate(() => [...document.querySelectorAll('section')]
    .filter((s) => s.querySelector(':scope > h2') && s.querySelector('table'))
    .map((s) => ({ h: s.querySelector(':scope > h2').textContent, th: s.querySelector('table th').textContent })));
  const txt = spawnSync('pdftotext', ['-layout', `${OUT}.pdf`, '-'], { encoding: 'utf8' });
  if (txt.error || txt.status !== 0) {
    check('headings kept with their tables (printed)', false, `pdftotext: ${txt.error ? txt.error.message : txt.stderr} (run scripts/setup.sh)`);
  } else {
    const flat = (x) => x.replace(/\s+/g, '');
    const pageTexts = txt.stdout.split('\f').map(flat);
    const stranded = sections.filter(({ h, th }) => {
      const p = pageTexts.find((t) => t.includes(flat(h)));
      return !p || !p.slice(p.indexOf(flat(h)) + flat(h).length).includes(flat(th));
    });
    check('headings kept with their tables (printed)', sections.length > 0 && stranded.length === 0,
      `${sections.length} sections on ${pageTexts.filter((t) => t).length} pages${stranded.length ? `; stranded: ${stranded.map((x) => x.h).join(', ')}` : ''}`);
  }
  await page.emulateMedia({ media: 'screen' });
  await page.screenshot({ path: `${OUT}.png`, fullPage: true });
  check('screenshot', readFileSync(`${OUT}.png`).length > 20000);
} catch (e) {
  failed++;
  console.log(`FAIL exception — ${e && e.stack ? e.stack : e}`);
} finally {
  await browser.close();
}
console.log(`report check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

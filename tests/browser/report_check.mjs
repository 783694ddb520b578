#!/usr/bin/env node
// Headless-browser check of a printable ecospace report (a saved HTML file).
//
//   node tests/browser/report_check.mjs REPORT.html EXPECT_JSON OUT_PREFIX
//
// EXPECT_JSON: {"hits": n, "overlaps": n, "rings": n, "decision": "prohibited"|…|null, "lang": "zh"|"en"}
// Opens the file with every network request blocked (the report must be self-contained), checks
// its structure from the DOM (map SVG with the site, overlaps and rings; one table row per hit;
// the decision), measures that the map is laid out, then prints it to PDF (A4) and a PNG.
// Prints one line per check and `report check: N passed, M failed`; exits 1 on any failure.

import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
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

  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(`${OUT}.pdf`, pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  check('printed to PDF', pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 20000 && pages >= 1 && pages <= 4, `${pdf.length} bytes, ${pages} pages`);
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

// Drives the citizen portal's organisation view (/portal, 身份切换) in headless Chromium at a phone's viewport: a
// representative signs in as themselves, switches to the organisation, sees its certificates, shows one's offline QR
// (decoded from the screen with jsQR) and reads the organisation's access log; then switches again after the test
// removed the link. argv[2]: base URL; argv[3]: JSON {idNumber, password, creditCode}. Same protocol as
// portal-browser.mjs: one JSON line per step on stdout; where the test must act first, one line back on stdin.
import { createInterface } from 'node:readline';
import jsQR from 'jsqr';
import pngjs from 'pngjs';
import { chromium } from 'playwright-core';

const base = process.argv[2];
const { idNumber, password, creditCode } = JSON.parse(process.argv[3]);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const report = (step, facts = {}) => process.stdout.write(JSON.stringify({ step, ...facts }) + '\n');
async function ask(step, facts) {
  report(step, facts);
  const { value, done } = await lines.next();
  if (done || !JSON.parse(value).ok) throw new Error(`the test refused step ${step}`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
let page = null;
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', e => consoleErrors.push(String(e)));
  await page.goto(`${base}/portal`);
  await page.waitForSelector('#idNumber');
  await page.fill('#idNumber', idNumber);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/portal/`), page.click('#login')]);
  await page.waitForSelector('body[data-loaded="certificates"]');
  const choices = await page.$$eval('#acting option', options => options.map(o => ({ value: o.value, text: o.textContent })));
  const own = await page.$$eval('li.certificate', items => items.map(li => li.dataset.id));

  // Switch to the organisation (身份切换).
  await page.evaluate(() => { document.body.dataset.loaded = ''; });
  await page.selectOption('#acting', creditCode);
  await page.waitForSelector(`body[data-acting="${creditCode}"][data-loaded="certificates"]`);
  const cards = await page.$$eval('li.certificate', items => items.map(li => ({ id: li.dataset.id, status: li.dataset.status, text: li.textContent })));
  const view = await page.evaluate(() => ({
    title: document.getElementById('certificates-title').textContent,
    note: document.getElementById('acting-note').textContent,
    consentsTab: !document.getElementById('tab-consents').hidden,
    pdfButtons: document.querySelectorAll('li.certificate .download-pdf').length,
    scrollWidth: document.documentElement.scrollWidth,
  }));
  report('organization', { choices, own, cards, view });

  // Its offline QR, decoded from the screen.
  await page.click(`li.certificate[data-id="${cards[0].id}"] .show-qr`);
  await page.waitForSelector('#qr-dialog[open]');
  await page.check('input[name="qr-form"][value="offline"]');
  await page.click('#qr-show');
  await page.waitForFunction(() => {
    const img = document.getElementById('qr-image');
    return img.dataset.form === 'offline' && img.complete && img.naturalWidth > 0 && !document.getElementById('qr-figure').hidden;
  });
  const png = pngjs.PNG.sync.read(await page.locator('#qr-image').screenshot());
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  await ask('qr', { text: decoded ? decoded.data : null, caption: await page.textContent('#qr-caption') });
  await page.click('#qr-close');

  // The organisation's access log.
  await page.click('#tab-log');
  await page.waitForSelector('body[data-loaded="log"]');
  const log = await page.$$eval('li.access', items => items.map(li => ({ department: li.dataset.department, result: li.dataset.result, text: li.textContent })));
  await ask('access-log', { log });

  // The test removed the link: back to myself, then switching to the organisation again is refused.
  await page.selectOption('#acting', '');
  await page.waitForSelector('body[data-acting=""][data-loaded="certificates"]');
  await page.selectOption('#acting', creditCode);
  await page.waitForSelector('#error:not([hidden])');
  report('unlinked', {
    error: await page.textContent('#error'),
    acting: await page.evaluate(() => document.body.dataset.acting),
    cards: await page.$$eval('li.certificate', items => items.map(li => li.dataset.id)),
    consoleErrors,
  });
  await context.close();
} catch (e) {
  if (page) console.error(`at ${page.url()}: ${(await page.textContent('body').catch(() => '')).slice(0, 500)}`);
  throw e;
} finally {
  await browser.close();
  report('done');
}

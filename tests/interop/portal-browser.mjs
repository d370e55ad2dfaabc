// Drives the citizen portal (/portal) in headless Chromium at a phone's viewport, as a citizen would.
// argv[2]: base URL; argv[3]: JSON {idNumber, password}. Protocol with the .NET test: this script writes one JSON line
// per step to stdout ({"step": ..., ...facts}) and, where the test must act or check first, waits for one line on stdin.
// Every assertion is made by the .NET test on the facts reported here.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import jsQR from 'jsqr';
import pngjs from 'pngjs';
import { chromium } from 'playwright-core';

const base = process.argv[2];
const { idNumber, password } = JSON.parse(process.argv[3]);
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

function report(step, facts = {}) {
  process.stdout.write(JSON.stringify({ step, ...facts }) + '\n');
}

async function ask(step, facts = {}) {
  report(step, facts);
  const { value, done } = await lines.next();
  if (done) throw new Error('the test closed stdin');
  const answer = JSON.parse(value);
  if (!answer.ok) throw new Error(`the test refused step ${step}`);
  return answer;
}

// Optional: PORTAL_SCREENSHOTS=<dir> keeps a phone-sized screenshot of each view, for a person to look at.
const shots = process.env.PORTAL_SCREENSHOTS;
async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

function decodeQr(png) {
  const image = pngjs.PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  return code ? code.data : null;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const urls = [];
let page = null;
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  context.on('request', request => urls.push(request.url()));
  page = await context.newPage();
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(String(e)));
  const failed = [];
  context.on('response', r => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });

  // 1. Not signed in: /portal sends the browser to the identity provider's login page.
  await page.goto(`${base}/portal`);
  await page.waitForSelector('#idNumber');
  await shot(page, '0-login');
  report('login-page', { url: page.url(), title: await page.title() });

  // 2. Sign in with identity number and password (posted in the form body, never in a URL).
  await page.fill('#idNumber', idNumber);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/portal/`), page.click('#login')]);
  await page.waitForSelector('body[data-loaded="certificates"]');
  const cards = await page.$$eval('li.certificate', items => items.map(li => ({
    id: li.dataset.id, status: li.dataset.status, label: li.querySelector('.status').textContent, title: li.querySelector('.title span').textContent,
  })));
  const layout = await page.evaluate(() => {
    const targets = [...document.querySelectorAll('button, select, .switch')].filter(e => e.offsetParent !== null);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
      smallestTarget: Math.min(...targets.map(e => e.getBoundingClientRect().height)),
      viewportMeta: document.querySelector('meta[name="viewport"]')?.content ?? null,
      greeting: document.getElementById('greeting').textContent,
      pdfButtons: document.querySelectorAll('li.certificate .download-pdf').length,
    };
  });
  // The session cookie alone authorises nothing: without the header a forged cross-site request cannot send, 401.
  const withoutHeader = await page.evaluate(async () => (await fetch('/api/v1/me/certificates')).status);
  await shot(page, '1-certificates');
  report('certificates', { url: page.url(), cards, layout, withoutHeader });

  // 3. Show the valid certificate's QR large, online (purpose chosen) and offline; decode what is on the screen.
  const valid = cards.find(c => c.status === 'valid');
  await page.click(`li.certificate[data-id="${valid.id}"] .show-qr`);
  await page.waitForSelector('#qr-dialog[open]');
  const qrTexts = {};
  for (const form of ['online', 'offline']) {
    await page.check(`input[name="qr-form"][value="${form}"]`);
    if (form === 'online') await page.selectOption('#qr-purpose', '入住登记');
    await page.click('#qr-show');
    await page.waitForFunction(f => {
      const img = document.getElementById('qr-image');
      return img.dataset.form === f && img.complete && img.naturalWidth > 0 && !document.getElementById('qr-figure').hidden;
    }, form);
    const box = await page.locator('#qr-image').boundingBox();
    await shot(page, `2-qr-${form}`);
    qrTexts[form] = { text: decodeQr(await page.locator('#qr-image').screenshot()), width: box.width, caption: await page.textContent('#qr-caption') };
  }
  await ask('qr', { qr: qrTexts });
  await page.click('#qr-close');

  // 3b. Download the valid certificate's printable PDF (下载 PDF) and report what arrived.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`li.certificate[data-id="${valid.id}"] .download-pdf`)]);
  const pdf = await readFile(await download.path());
  report('pdf', { name: download.suggestedFilename(), size: pdf.length, header: pdf.subarray(0, 5).toString('latin1'), base64: pdf.toString('base64') });

  // 4. 授权管理: require consent.
  await page.click('#tab-consents');
  await page.waitForSelector('body[data-loaded="consents"]');
  await page.click('label.switch');
  await page.waitForSelector('#consent-required[data-saved="true"]');
  // 5. Grant the department (named by the test) a consent for one type.
  const { department, typeCode } = await ask('consent-required-on');
  await page.selectOption('#grant-department', department);
  await page.check(`input[name="grant-type"][value="${typeCode}"]`);
  await page.click('#grant-submit');
  await page.waitForSelector(`li.consent[data-state="active"][data-department="${department}"]`);
  const consentText = await page.textContent(`li.consent[data-state="active"][data-department="${department}"]`);
  await shot(page, '3-consents');
  await ask('consent-granted', { consentText });

  // 6. Withdraw it.
  await page.click(`li.consent[data-state="active"][data-department="${department}"] .withdraw`);
  await page.waitForSelector(`li.consent[data-state="withdrawn"][data-department="${department}"]`);
  await ask('consent-withdrawn');

  // 7. 用证记录: who used my certificates.
  await page.click('#tab-log');
  await page.waitForSelector('body[data-loaded="log"]');
  const log = await page.$$eval('li.access', items => items.map(li => ({ department: li.dataset.department, result: li.dataset.result, text: li.textContent })));
  await shot(page, '4-access-log');
  report('access-log', { log, pager: await page.textContent('#log-page'), consoleErrors: consoleErrors.filter(m => !m.startsWith('Failed to load resource')), failed: [...failed] });

  // 8. Sign out: the SSO session ends, and /portal asks for the password again.
  await Promise.all([page.waitForURL(/\/connect\/authorize/), page.click('#signout')]);
  await page.waitForSelector('#idNumber');
  const afterSignOut = page.url();
  await page.goto(`${base}/portal`);
  await page.waitForSelector('#idNumber');
  // With the browser's cookies (the provider's login page forbids fetch by its CSP, so through the context's request API).
  const api = (await context.request.get(`${base}/api/v1/me/certificates`, { headers: { 'X-CertLib-Portal': '1' } })).status();
  report('signed-out', { url: afterSignOut, again: page.url(), apiStatus: api });
  await context.close();
} catch (e) {
  // What the citizen would have seen, for the test's failure message.
  if (page) console.error(`at ${page.url()}: ${(await page.textContent('body').catch(() => '')).slice(0, 500)}`);
  throw e;
} finally {
  await browser.close();
  report('done', { urls });
  input.close();
}

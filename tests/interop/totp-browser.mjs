// Drives the TOTP pages in headless Chromium on a phone-sized screen: password sign-in, enrolment (QR decoded with
// jsQR, code computed here with node:crypto, independently of the provider), then a second sign-in that must ask for
// the code. Env: BASE, AUTHORIZE_PATH, REDIRECT_URI, ID_NUMBER, PASSWORD. Prints one JSON object.
import { createHmac } from 'node:crypto';
import jsQR from 'jsqr';
import pngjs from 'pngjs';
import { chromium } from 'playwright-core';

const { BASE, AUTHORIZE_PATH, REDIRECT_URI, ID_NUMBER, PASSWORD } = process.env;

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let buffer = 0, bits = 0; const out = [];
  for (const c of text) { buffer = (buffer << 5) | alphabet.indexOf(c); bits += 5; if (bits >= 8) { out.push((buffer >> (bits - 8)) & 0xff); bits -= 8; } }
  return Buffer.from(out);
}

function totp(secret, unixMs) {
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(Math.floor(unixMs / 1000 / 30)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function phone(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const page = await context.newPage();
  return { page, callback: () => page.url() };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const result = {};
try {
  // 1. Password only: straight back to the portal with a code.
  const first = await phone(browser);
  await first.page.goto(BASE + AUTHORIZE_PATH);
  await first.page.fill('#idNumber', ID_NUMBER);
  await first.page.fill('#password', PASSWORD);
  await Promise.all([first.page.waitForURL(`${REDIRECT_URI}**`), first.page.click('#login')]);
  result.passwordOnlyCode = new URL(first.callback()).searchParams.has('code');

  // 2. Enrolment with the same SSO session.
  const response = await first.page.goto(BASE + '/account/totp');
  result.frameOptions = response.headers()['x-frame-options'];
  result.fitsPhone = await first.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const src = await first.page.getAttribute('#qr', 'src');
  result.qrRendered = await first.page.evaluate(() => { const img = document.getElementById('qr'); return img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 150; });
  const png = pngjs.PNG.sync.read(Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'));
  result.qrText = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
  const secretText = (await first.page.textContent('#secret')).replace(/\s/g, '');
  result.secretInQr = result.qrText?.includes(`secret=${secretText}&`) ?? false;
  const secret = base32(secretText);
  await first.page.fill('#code', totp(secret, Date.now()));
  await first.page.fill('#current-password', PASSWORD);
  await Promise.all([first.page.waitForSelector('#done'), first.page.click('#enable')]);
  result.enabled = true;

  // 3. A new phone: password, then the code step (the next step's code: this step's was used to enrol).
  const second = await phone(browser);
  await second.page.goto(BASE + AUTHORIZE_PATH);
  await second.page.fill('#idNumber', ID_NUMBER);
  await second.page.fill('#password', PASSWORD);
  await Promise.all([second.page.waitForSelector('#code'), second.page.click('#login')]);
  result.askedForCode = true;
  result.codeStepFitsPhone = await second.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await second.page.fill('#code', totp(secret, Date.now() + 30_000));
  await Promise.all([second.page.waitForURL(`${REDIRECT_URI}**`), second.page.click('#verify')]);
  result.mfaCode = new URL(second.callback()).searchParams.has('code');
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));

// Drives the verifier page (/verify) in real headless Chromium (playwright-core).
// argv[2]: base URL of the running API; optional argv[3] = --camera <png>: the PNG becomes a Y4M file that Chromium's
// fake camera plays (--use-file-for-fake-video-capture).
// stdin: one command per line — `upload <png path>`, `paste <text>`, `camera`, `quit`; stdout: one JSON line per
// command with what the page shows: {result, label, reasons, details, errors}.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import pngjs from 'pngjs';

const [, , baseUrl, flag, cameraPng] = process.argv;
const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];
const scratch = mkdtempSync(join(tmpdir(), 'certlib-verifier-'));
if (flag === '--camera') {
  const y4m = join(scratch, 'qr.y4m');
  writeFileSync(y4m, toY4m(pngjs.PNG.sync.read(readFileSync(cameraPng)), 960, 720, 4));
  args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
const errors = [];
try {
  const page = await browser.newPage();
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text() + (m.location().url ? ` (${m.location().url})` : '')); });
  await page.goto(`${baseUrl}/verify`);

  for await (const line of createInterface({ input: process.stdin })) {
    const space = line.indexOf(' ');
    const command = space < 0 ? line : line.slice(0, space);
    const argument = space < 0 ? '' : line.slice(space + 1);
    if (command === 'quit') break;
    await page.evaluate(() => { const r = document.getElementById('result'); r.dataset.result = ''; r.textContent = ''; });
    if (command === 'upload') {
      await page.setInputFiles('#photo', argument);
    } else if (command === 'paste') {
      await page.fill('#text', argument);
      await page.click('#check');
    } else if (command === 'camera') {
      await page.click('#camera');
    } else {
      throw new Error(`unknown command ${command}`);
    }

    await page.waitForFunction(() => document.getElementById('result').dataset.result !== '', null, { timeout: 20000 });
    const shown = await page.evaluate(() => ({
      result: document.getElementById('result').dataset.result,
      label: document.getElementById('result').textContent,
      fontSize: parseFloat(getComputedStyle(document.getElementById('result')).fontSize),
      reasons: [...document.querySelectorAll('#reasons li')].map(li => li.textContent),
      details: Object.fromEntries([...document.querySelectorAll('#details dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent])),
      text: document.getElementById('text').value,
    }));
    process.stdout.write(JSON.stringify({ ...shown, errors: errors.splice(0) }) + '\n');
  }
} finally {
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
}

// A YUV 4:2:0 stream: the QR centred on white, scaled to fit, grey chroma.
function toY4m(png, width, height, frames) {
  const scale = Math.min((width - 40) / png.width, (height - 40) / png.height);
  const left = Math.floor((width - png.width * scale) / 2);
  const top = Math.floor((height - png.height * scale) / 2);
  const luma = Buffer.alloc(width * height, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = Math.floor((x - left) / scale);
      const sy = Math.floor((y - top) / scale);
      if (sx < 0 || sy < 0 || sx >= png.width || sy >= png.height) continue;
      const i = (sy * png.width + sx) * 4;
      luma[y * width + x] = Math.round(0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2]);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array(frames).fill(frame)]);
}

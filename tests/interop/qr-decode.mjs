// Decodes the QR code in a PNG with jsQR (an implementation nobody on the team wrote).
// argv[2]: path of the PNG; stdout: the decoded text (exit 1 when no QR is found).
import { readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import pngjs from 'pngjs';

const png = pngjs.PNG.sync.read(readFileSync(process.argv[2]));
const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
if (!code) {
  console.error('no QR code found');
  process.exit(1);
}
process.stdout.write(code.data);

// Verifies a JWS JSON General Serialization with npm jose.
// stdin: {"jws": {...}, "jwk": {...}}; stdout: {"ok": true, "payload": "<base64url>", "header": {...}} or {"ok": false, "error": "..."}
import { generalVerify, importJWK } from 'jose';

const input = JSON.parse(await readStdin());
try {
  const key = await importJWK(input.jwk, 'ES256');
  const result = await generalVerify(input.jws, key, { algorithms: ['ES256'] });
  console.log(JSON.stringify({ ok: true, payload: Buffer.from(result.payload).toString('base64url'), header: result.protectedHeader }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.code || e) }));
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

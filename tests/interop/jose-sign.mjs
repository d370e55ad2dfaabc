// Makes a fresh ES256 key with npm jose and signs the given payload in both serializations.
// The kid is computed here independently: base64url(SHA-256(SPKI DER)[0..8]).
// stdin: {"payload": "<base64url>", "typ": "..."}; stdout: {"jwk", "kid", "general", "compact"}
import { CompactSign, GeneralSign, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { createHash } from 'node:crypto';

const input = JSON.parse(await readStdin());
const payload = Buffer.from(input.payload, 'base64url');
const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
const pem = await exportSPKI(publicKey);
const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const kid = createHash('sha256').update(der).digest().subarray(0, 8).toString('base64url');
const header = { alg: 'ES256', kid, typ: input.typ };

const general = await new GeneralSign(payload).addSignature(privateKey).setProtectedHeader(header).sign();
const compact = await new CompactSign(payload).setProtectedHeader(header).sign(privateKey);
console.log(JSON.stringify({ jwk: await exportJWK(publicKey), kid, general, compact }));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

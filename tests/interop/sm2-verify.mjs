// Verifies an SM2 signature (r||s hex, SM3, user id 1234567812345678 = sm-crypto's default) with npm sm-crypto.
// stdin: {"message": "<hex>", "signature": "<hex r||s>", "publicKey": "<hex 04||x||y>"}; stdout: {"ok": bool}
import smCrypto from 'sm-crypto';

const input = JSON.parse(await readStdin());
const message = Array.from(Buffer.from(input.message, 'hex'));
const ok = smCrypto.sm2.doVerifySignature(message, input.signature, input.publicKey, { hash: true, der: false });
console.log(JSON.stringify({ ok }));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

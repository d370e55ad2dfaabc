// Makes a fresh SM2 key with npm sm-crypto and signs the given message (SM3, default user id 1234567812345678).
// stdin: {"message": "<hex>"}; stdout: {"publicKey": "<hex 04||x||y>", "signature": "<hex r||s>"}
import smCrypto from 'sm-crypto';

const input = JSON.parse(await readStdin());
const message = Array.from(Buffer.from(input.message, 'hex'));
const keys = smCrypto.sm2.generateKeyPairHex();
const signature = smCrypto.sm2.doSignature(message, keys.privateKey, { hash: true, der: false, publicKey: keys.publicKey });
console.log(JSON.stringify({ publicKey: keys.publicKey, signature }));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

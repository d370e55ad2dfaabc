// Decodes a CertLibrary offline QR, format 2 (SPEC §5: "CL2:" + base45 of zlib of COSE_Sign / COSE_Sign1), and checks
// every signature with the given trust-list keys, using only npm packages: base45, pako, cbor, @noble/curves (ES256)
// and sm-crypto (SM2 with SM3, user id 1234567812345678).
// stdin: {"qr": "CL2:...", "keys": [{"kid", "alg", "jwk": {"kty":"EC","crv":"P-256"|"SM2","x","y"}}]}
// stdout: {"tag": 98|18, "claims": {"id","name","exp","nbf","binding","salt","listId","index"}, "signatures": [{"alg","kid","ok"}]}
import base45 from 'base45';
import * as pako from 'pako';
import cbor from 'cbor';
import { p256 } from '@noble/curves/nist.js';
import smCrypto from 'sm-crypto';

const ES256 = -7;
const SM2 = -65537;
const ID_ROOT = '1.2.156.3005.2.';

const input = JSON.parse(await readStdin());
if (!input.qr.startsWith('CL2:')) throw new Error('not a format-2 QR');
const cose = Buffer.from(pako.inflate(Buffer.from(base45.decode(input.qr.slice(4)))));
const tagged = cbor.decodeFirstSync(cose);
if (!(tagged instanceof cbor.Tagged) || (tagged.tag !== 98 && tagged.tag !== 18)) throw new Error('not COSE_Sign or COSE_Sign1');

let payload;
const signers = [];
if (tagged.tag === 98) {
  const [bodyProtected, , body, list] = tagged.value;
  payload = body;
  for (const [signProtected, unprotected, signature] of list) {
    const toBeSigned = cbor.encode(['Signature', bodyProtected, signProtected, Buffer.alloc(0), payload]);
    signers.push({ signProtected, unprotected, signature, toBeSigned });
  }
} else {
  const [signProtected, unprotected, body, signature] = tagged.value;
  payload = body;
  const toBeSigned = cbor.encode(['Signature1', signProtected, Buffer.alloc(0), payload]);
  signers.push({ signProtected, unprotected, signature, toBeSigned });
}

const signatures = signers.map(({ signProtected, unprotected, signature, toBeSigned }) => {
  const alg = cbor.decodeFirstSync(signProtected).get(1);
  const kid = Buffer.from(unprotected.get(4)).toString('base64url');
  const key = input.keys.find(k => k.kid === kid);
  const name = alg === ES256 ? 'ES256' : alg === SM2 ? 'SM2' : String(alg);
  if (!key || key.alg !== name) return { alg: name, kid, ok: false };
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(key.jwk.x, 'base64url'), Buffer.from(key.jwk.y, 'base64url')]);
  const ok = alg === ES256
    ? p256.verify(new Uint8Array(signature), new Uint8Array(toBeSigned), new Uint8Array(point), { lowS: false })
    : smCrypto.sm2.doVerifySignature(Array.from(toBeSigned), Buffer.from(signature).toString('hex'), point.toString('hex'),
      { hash: true, der: false, userId: '1234567812345678' });
  return { alg: name, kid, ok };
});

const claims = cbor.decodeFirstSync(payload);
const own = claims.get(-70000);
const [listId, index] = own.get(5);
console.log(JSON.stringify({
  tag: tagged.tag,
  claims: {
    id: ID_ROOT + own.get(1), // claim 1 is the id without its constant root
    name: own.get(2),
    exp: claims.get(4),
    nbf: claims.get(5),
    binding: Buffer.from(own.get(3)).toString('hex'),
    salt: Buffer.from(own.get(4)).toString('hex'),
    listId,
    index,
  },
  signatures,
}));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

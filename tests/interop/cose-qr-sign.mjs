// Makes a CertLibrary offline QR, format 2 (SPEC §5), with npm packages only: cbor (claims, headers, Sig_structure,
// COSE_Sign tag 98 or COSE_Sign1 tag 18), sm-crypto (SM2 with SM3, user id 1234567812345678, r||s), @noble/curves
// (ES256, r||s), pako (zlib) and base45.
// stdin: {"claims": {"id","name","exp","nbf","binding": hex,"salt": hex,"listId","index"},
//         "signers": [{"alg": "SM2"|"ES256", "kid": base64url, "d": hex private scalar, "publicKey": hex 04||x||y}]}
// stdout: {"qr": "CL2:..."}
import base45 from 'base45';
import * as pako from 'pako';
import cbor from 'cbor';
import { p256 } from '@noble/curves/nist.js';
import smCrypto from 'sm-crypto';

const ALGORITHMS = { ES256: -7, SM2: -65537 };
const ID_ROOT = '1.2.156.3005.2.';

const input = JSON.parse(await readStdin());
const c = input.claims;
if (!c.id.startsWith(ID_ROOT)) throw new Error('a certificate id starts with ' + ID_ROOT);
const payload = cbor.encodeCanonical(new Map([
  [4, c.exp],
  [5, c.nbf],
  [-70000, new Map([
    [1, c.id.slice(ID_ROOT.length)],
    [2, c.name],
    [3, Buffer.from(c.binding, 'hex')],
    [4, Buffer.from(c.salt, 'hex')],
    [5, [c.listId, c.index]],
  ])],
]));

function sign(signer, toBeSigned) {
  if (signer.alg === 'ES256') {
    return Buffer.from(p256.sign(new Uint8Array(toBeSigned), Buffer.from(signer.d, 'hex'), { lowS: false }));
  }
  const hex = smCrypto.sm2.doSignature(Array.from(toBeSigned), signer.d,
    { hash: true, der: false, publicKey: signer.publicKey, userId: '1234567812345678' });
  return Buffer.from(hex, 'hex');
}

const header = signer => cbor.encode(new Map([[1, ALGORITHMS[signer.alg]]]));
const kid = signer => new Map([[4, Buffer.from(signer.kid, 'base64url')]]);
let cose;
if (input.signers.length === 1) {
  const [signer] = input.signers;
  const signProtected = header(signer);
  const signature = sign(signer, cbor.encode(['Signature1', signProtected, Buffer.alloc(0), payload]));
  cose = cbor.encode(new cbor.Tagged(18, [signProtected, kid(signer), payload, signature]));
} else {
  const bodyProtected = Buffer.alloc(0);
  const list = input.signers.map(signer => {
    const signProtected = header(signer);
    const signature = sign(signer, cbor.encode(['Signature', bodyProtected, signProtected, Buffer.alloc(0), payload]));
    return [signProtected, kid(signer), signature];
  });
  cose = cbor.encode(new cbor.Tagged(98, [bodyProtected, new Map(), payload, list]));
}

console.log(JSON.stringify({ qr: 'CL2:' + base45.encode(Buffer.from(pako.deflate(cose, { level: 9 }))) }));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

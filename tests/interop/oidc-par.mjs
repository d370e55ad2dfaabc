// Pushed authorization requests (RFC 9126) with openid-client v6: the client pushes its request to /connect/par, sends
// the browser to /connect/authorize with the request_uri only, signs in and redeems the code. A client registered to
// require PAR gets no code for a plain authorization request.
// Input (env): ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ID_NUMBER, PASSWORD. Output: one JSON line.
import * as client from 'openid-client';

const env = process.env;
const insecure = { execute: [client.allowInsecureRequests] };
const result = {};
const config = await client.discovery(new URL(env.ISSUER), env.CLIENT_ID, env.CLIENT_SECRET, undefined, insecure);
result.parAdvertised = typeof config.serverMetadata().pushed_authorization_request_endpoint === 'string';

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const parameters = {
  redirect_uri: env.REDIRECT_URI,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
};

// Without PAR: refused, never a code.
const plain = await fetch(client.buildAuthorizationUrl(config, parameters), { redirect: 'manual' });
const plainLocation = plain.headers.get('location') ?? '';
result.plainGotCode = plainLocation.includes('code=');

const authorizeUrl = await client.buildAuthorizationUrlWithPAR(config, parameters);
result.onlyRequestUri = [...authorizeUrl.searchParams.keys()].sort().join(' ');

const jar = new Map();
const keep = (response) => {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
};
const page = await fetch(authorizeUrl, { redirect: 'manual' });
keep(page);
const html = await page.text();
const field = (name) => {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`login form field ${name} missing (status ${page.status})`);
  return match[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#x2B;', '+').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
};
const login = await fetch(new URL('/connect/authorize/login', env.ISSUER), {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
  body: new URLSearchParams({
    __RequestVerificationToken: field('__RequestVerificationToken'),
    request: field('request'),
    idNumber: env.ID_NUMBER,
    password: env.PASSWORD,
  }),
});
const location = login.headers.get('location');
if (login.status !== 302 || !location) throw new Error(`login answered ${login.status}`);

const tokens = await client.authorizationCodeGrant(config, new URL(location), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
result.sub = tokens.claims().sub;
console.log(JSON.stringify(result));

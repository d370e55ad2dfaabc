// Relying party nobody on the team wrote: openid-client v6 against the provider on loopback.
// Input (env): ISSUER, PORTAL_ID, PORTAL_SECRET, REDIRECT_URI, DEPT_ID, DEPT_SECRET, ID_NUMBER, PASSWORD.
// Output: one JSON line with what each step observed; exits non-zero on the first failure.
import * as client from 'openid-client';

const env = process.env;
const insecure = { execute: [client.allowInsecureRequests] };
const result = {};

const portal = await client.discovery(new URL(env.ISSUER), env.PORTAL_ID, env.PORTAL_SECRET, undefined, insecure);
client.enableNonRepudiationChecks(portal);

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizeUrl = client.buildAuthorizationUrl(portal, {
  redirect_uri: env.REDIRECT_URI,
  scope: 'openid profile offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

// The browser part: GET the login page, keep its cookies, post the form.
const jar = new Map();
const keep = (response) => {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
};
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const page = await fetch(authorizeUrl, { redirect: 'manual' });
keep(page);
const html = await page.text();
const field = (name) => {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`login form field ${name} missing`);
  return match[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#x2B;', '+').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
};
const login = await fetch(new URL('/connect/authorize/login', env.ISSUER), {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader() },
  body: new URLSearchParams({
    __RequestVerificationToken: field('__RequestVerificationToken'),
    request: field('request'),
    idNumber: env.ID_NUMBER,
    password: env.PASSWORD,
  }),
});
const location = login.headers.get('location');
if (login.status !== 302 || !location) throw new Error(`login answered ${login.status}`);

const tokens = await client.authorizationCodeGrant(portal, new URL(location), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
result.sub = claims.sub;
result.nonceMatches = claims.nonce === nonce;
result.acr = claims.acr;
result.amr = claims.amr;

const userinfo = await client.fetchUserInfo(portal, tokens.access_token, claims.sub);
result.userinfoName = userinfo.name;

const refreshed = await client.refreshTokenGrant(portal, tokens.refresh_token);
result.refreshRotated = refreshed.refresh_token !== undefined && refreshed.refresh_token !== tokens.refresh_token;

result.introspectActive = (await client.tokenIntrospection(portal, refreshed.access_token)).active;
await client.tokenRevocation(portal, refreshed.access_token);
result.introspectAfterRevoke = (await client.tokenIntrospection(portal, refreshed.access_token)).active;

// Revoking the refresh token (RFC 7009 token_type_hint refresh_token) ends the grant: the next refresh is refused.
await client.tokenRevocation(portal, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
try {
  await client.refreshTokenGrant(portal, refreshed.refresh_token);
  result.refreshAfterRevoke = 'accepted';
} catch (error) {
  result.refreshAfterRevoke = error.error ?? error.code ?? String(error);
}

const department = await client.discovery(new URL(env.ISSUER), env.DEPT_ID, env.DEPT_SECRET, undefined, insecure);
const cc = await client.clientCredentialsGrant(department, { scope: 'certlib.use' });
result.clientCredentialsScope = cc.scope;
result.clientCredentialsRefresh = cc.refresh_token ?? null;

console.log(JSON.stringify(result));

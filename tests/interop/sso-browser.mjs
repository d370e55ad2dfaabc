// Single sign-on and single logout in real headless Chromium, across two portals of the sample (社保, 住房).
// Input (env): PROVIDER (issuer URL), PORTAL_A, PORTAL_B (base URLs), ID_NUMBER, PASSWORD.
// Output: one JSON line with what each step observed; exits non-zero (with the observations so far on stderr) on failure.
import { chromium } from 'playwright-core';

const env = process.env;
const provider = new URL(env.PROVIDER);
const result = {};
const browser = await chromium.launch({
  executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});

const onProvider = (url) => new URL(url).origin === provider.origin;
const isLoginPage = async (page) => onProvider(page.url()) && (await page.locator('#idNumber').count()) === 1;
const where = (page) => { const u = new URL(page.url()); return u.origin + u.pathname; };

try {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  // Every page the provider answered in the main frame: a login form is a 200 from /connect/authorize.
  const providerPages = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && onProvider(response.url())) {
      providerPages.push({ path: new URL(response.url()).pathname, method: request.method(), status: response.status() });
    }
  });

  // 1. Portal A sends the citizen to the provider, who asks for identity number and password.
  await page.goto(env.PORTAL_A + '/');
  result.aFirstPage = where(page);
  result.aShowedLogin = await isLoginPage(page);
  if (!result.aShowedLogin) throw new Error('portal A did not lead to the login page');
  await page.fill('#idNumber', env.ID_NUMBER);
  await page.fill('#password', env.PASSWORD);
  await Promise.all([page.waitForURL(env.PORTAL_A + '/'), page.click('#login')]);
  result.aUser = (await page.textContent('#user'))?.trim();

  // 2. Portal B: signed in through the same SSO session, the login page never shown.
  const before = providerPages.length;
  await page.goto(env.PORTAL_B + '/');
  await page.waitForURL(env.PORTAL_B + '/');
  result.bProviderPages = providerPages.slice(before);
  result.bUser = (await page.textContent('#user'))?.trim();

  // 3. Log out on portal B (RP-initiated logout by POST), back on B's signed-out page.
  await Promise.all([page.waitForURL(env.PORTAL_B + '/signed-out'), page.click('#logout')]);
  result.bSignedOut = (await page.textContent('#signed-out'))?.trim();

  // 4. Portal A on reload: its own session was ended by the back-channel logout (delivered in the background,
  //    so allow a few seconds); a signed-out portal sends the citizen to the provider, which asks for a password again.
  const started = Date.now();
  for (;;) {
    await page.goto(env.PORTAL_A + '/');
    if (!page.url().startsWith(env.PORTAL_A)) break;
    if (Date.now() - started > 15000) break;
    await page.waitForTimeout(250);
  }
  result.aAfterLogoutMs = Date.now() - started;
  result.aAfterLogoutPage = where(page);
  result.aAfterLogoutShowsLogin = await isLoginPage(page);
  result.aAfterLogoutUser = (await page.locator('#user').count()) ? (await page.textContent('#user')).trim() : null;

  // 5. Portal B again: the provider's session is gone too.
  await page.goto(env.PORTAL_B + '/');
  result.bAgainPage = where(page);
  result.bAgainShowsLogin = await isLoginPage(page);

  console.log(JSON.stringify(result));
} catch (error) {
  console.error(JSON.stringify(result));
  console.error(error.stack ?? String(error));
  process.exitCode = 1;
} finally {
  await browser.close();
}

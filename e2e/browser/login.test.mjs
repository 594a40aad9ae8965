// A headless Chromium (Debian `chromium`, driven by playwright-core) signs in and consents through
// Valet's real pages, against a real `valet` binary and a relying party built on the `openidconnect`
// crate (the `valet-e2e-rp` binary).
//
//   VALET_BIN=/path/to/valet VALET_E2E_RP_BIN=/path/to/valet-e2e-rp node --test e2e/browser/
//
// scripts/browser-tests installs Chromium and the npm dependency, builds the binaries and runs this.
// Screenshots of the pages land in e2e/browser/artifacts/ (git-ignored).
// The harness (Valet, the relying party, Chromium, the login steps) is shared: support.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS,
  TEST_TIMEOUT,
  START_TIMEOUT,
  screenshot,
  redirectChain,
  recordNavigations,
  startValet,
  stopValet,
  startRp,
  launchBrowser,
  newContext as newBrowserContext,
  openLogin as openLoginAt,
  fillLogin,
  signIn,
} from './support.mjs';

const CLIENT_ID = 'browser-rp';
const CLIENT_NAME = 'Browser RP';
const CLIENT_SECRET = crypto.randomBytes(32).toString('base64url'); // 43 characters
const SCOPE = 'openid profile email';
// One user per test that needs a fresh consent: consent is remembered per user and client.
const USERS = {
  alice: { password: 'alice-correct-horse', name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { password: 'bob-battery-staple', name: 'Bob Builder', email: 'bob@example.com' },
  carol: { password: 'carol-no-javascript', name: 'Carol Danvers', email: 'carol@example.com' },
};

let valet; // { process, url, dataDir, log }
let rp; // { url, callbacks, signIns, requests, close }
let browser;
let aliceContext; // shared by the first two tests: SSO session and remembered consent

// ---------------------------------------------------------------------------------------------
// Valet

function provisioningToml(rpUrl) {
  const users = Object.entries(USERS)
    .map(
      ([username, u]) => `
[[users]]
username = "${username}"
password = "${u.password}"
claims = { name = "${u.name}", email = "${u.email}", email_verified = true }
`,
    )
    .join('');
  return `
[[clients]]
client_id = "${CLIENT_ID}"
client_name = "${CLIENT_NAME}"
client_secret = "${CLIENT_SECRET}"
redirect_uris = ["${rpUrl}/callback"]
grant_types = ["authorization_code"]
scope = "${SCOPE}"
${users}`;
}

// ---------------------------------------------------------------------------------------------
// Browser steps

const newContext = (options = {}) => newBrowserContext(browser, options);

/** From the RP's /start to Valet's login page. */
const openLogin = (page) => openLoginAt(page, rp.url, valet.url);

// ---------------------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Only this file's screenshots: the other browser tests keep theirs in the same directory.
  for (const f of fs.readdirSync(ARTIFACTS)) if (/^\d\d-.*\.png$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
  rp = await startRp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE, issuer: () => valet.url });
  valet = await startValet({ provisioning: provisioningToml(rp.url) });
  browser = await launchBrowser();
  console.log(`chromium ${browser.version()}, valet at ${valet.url}, relying party at ${rp.url}`);
}, { timeout: START_TIMEOUT + 30_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await rp?.close();
  await stopValet(valet);
});

// Should the runner die without running `after`, do not leave Valet behind.
process.on('exit', () => valet?.process.kill('SIGKILL'));

test('login and consent through the real pages', { timeout: TEST_TIMEOUT }, async () => {
  aliceContext = await newContext();
  const page = await aliceContext.newPage();

  await openLogin(page);
  assert.equal(await page.title(), `Sign in to ${CLIENT_NAME} · Valet`);
  await assert.doesNotReject(page.getByRole('heading', { name: `Sign in to ${CLIENT_NAME}` }).waitFor());
  assert.equal(await page.getByRole('alert').count(), 0);
  await screenshot(page, '01-login.png');

  await fillLogin(page, 'alice', USERS.alice.password);
  await signIn(page);

  await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
  assert.match(page.url(), new RegExp(`^${valet.url}/interaction/`));
  const scopes = await page.getByRole('listitem').allTextContents();
  assert.deepEqual(scopes, [
    'Know who you are (a stable identifier for your account)',
    'Your profile: name, username, picture, website, gender, birthdate, time zone and locale',
    'Your email address and whether it is verified',
  ]);
  const consentText = await page.locator('main').innerText();
  assert.match(consentText, /Signed in as/);
  console.log(`consent page: ${JSON.stringify(consentText)}`);
  await screenshot(page, '02-consent.png');

  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${rp.url}/callback?**`);
  const callback = new URL(page.url()).searchParams;
  assert.ok(callback.get('code'), 'the redirect carries a code');
  assert.equal(callback.get('iss'), valet.url);
  await assert.doesNotReject(page.getByText('Signed in as Alice Liddell (alice@example.com)').waitFor());
  await screenshot(page, '03-signed-in.png');
});

test('a second visit signs in with no login and no consent page (SSO, remembered consent)', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(aliceContext, 'runs after the first test, in its browser context');
  const page = await aliceContext.newPage();
  const navigations = recordNavigations(page);

  const response = await page.goto(`${rp.url}/start`);
  assert.equal(response.status(), 200);
  const chain = redirectChain(response);
  assert.equal(chain[0], `${rp.url}/start`);
  assert.ok(chain[1].startsWith(`${valet.url}/authorize?`), chain.join('\n'));
  assert.ok(chain.at(-1).startsWith(`${rp.url}/callback?`), chain.join('\n'));
  const pages = navigations.filter((u) => u.includes('/interaction/'));
  assert.deepEqual(pages, [], 'no login or consent page was shown');
  await assert.doesNotReject(page.getByText('Signed in as Alice Liddell (alice@example.com)').waitFor());
  await aliceContext.close();
});

test('a wrong password shows an error on the login page', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await openLogin(page);
    const loginUrl = page.url();
    await fillLogin(page, 'alice', 'not-the-password');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login')),
      signIn(page),
    ]);
    assert.equal(response.status(), 401);
    await page.waitForLoadState();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = (await alert.innerText()).trim();
    assert.ok(message.length > 0, 'the alert says something');
    assert.doesNotMatch(message, /alice-correct-horse|not-the-password/);
    assert.match(await page.title(), /Sign in/);
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not echoed back');
    await screenshot(page, '04-login-error.png');
    console.log(`login error message: ${JSON.stringify(message)}`);

    // The page still works: the right password goes on to the consent page.
    await fillLogin(page, 'alice', USERS.alice.password);
    await signIn(page);
    // Alice's consent is remembered from the first test; without it, the consent page comes first.
    const allow = page.getByRole('button', { name: 'Allow' });
    const signedIn = page.getByText('Signed in as Alice Liddell (alice@example.com)');
    await allow.or(signedIn).first().waitFor();
    if (await allow.count()) await allow.click();
    await signedIn.waitFor();
    assert.notEqual(page.url(), loginUrl);
  } finally {
    await context.close();
  }
});

test('Deny on the consent page brings error=access_denied back to the relying party', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await openLogin(page);
    await fillLogin(page, 'bob', USERS.bob.password);
    await signIn(page);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(`${rp.url}/callback?**`);
    const callback = new URL(page.url()).searchParams;
    assert.equal(callback.get('error'), 'access_denied');
    assert.equal(callback.get('code'), null);
    assert.equal(callback.get('iss'), valet.url);
    await assert.doesNotReject(page.getByText('error=access_denied').waitFor());
  } finally {
    await context.close();
  }
});

test('the login page works with JavaScript disabled and its CSP has no unsafe-inline', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const response = await openLogin(page);
    const csp = (await response.allHeaders())['content-security-policy'];
    assert.ok(csp, 'the login page has a Content-Security-Policy');
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    console.log(`login page CSP: ${csp}`);

    // Prove scripts are off in this context; then sign in and consent with plain HTML forms.
    assert.equal(await page.locator('noscript, script').count(), 0, 'the page has no scripts at all');
    await fillLogin(page, 'carol', USERS.carol.password);
    await signIn(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rp.url}/callback?**`);
    await assert.doesNotReject(page.getByText('Signed in as Carol Danvers (carol@example.com)').waitFor());
  } finally {
    await context.close();
  }
});

test('an unknown client_id shows an HTML error page (400) and does not redirect', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const callbacksBefore = rp.callbacks.length;
    const authorize = new URL(`${valet.url}/authorize`);
    authorize.search = new URLSearchParams({
      client_id: 'no-such-client',
      redirect_uri: `${rp.url}/callback`,
      response_type: 'code',
      scope: SCOPE,
      state: 'some-state',
      nonce: 'some-nonce',
    }).toString();
    const response = await page.goto(authorize.toString());
    assert.equal(response.status(), 400);
    assert.equal(response.request().redirectedFrom(), null, 'no redirect');
    assert.equal(page.url(), authorize.toString());
    assert.match(response.headers()['content-type'], /^text\/html/);
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
    const text = await page.locator('main').innerText();
    assert.ok(text.trim().length > 0);
    assert.doesNotMatch(text, /panic|backtrace|sqlx|sea_orm/i);
    await screenshot(page, '05-error.png');
    assert.equal(rp.callbacks.length, callbacksBefore, 'the relying party was not called');
    console.log(`error page: ${JSON.stringify(await page.title())}`);
  } finally {
    await context.close();
  }
});

// A headless Chromium (Debian `chromium`, driven by playwright-core) signs in and consents through
// Valet's real pages, against a real `valet` binary and a tiny relying party written with node:http.
//
//   VALET_BIN=/path/to/valet node --test e2e/browser/
//
// scripts/browser-tests installs Chromium and the npm dependency, builds the binary and runs this.
// Screenshots of the pages land in e2e/browser/artifacts/ (git-ignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const VALET_BIN =
  process.env.VALET_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/valet-target'), 'debug/valet');

const TEST_TIMEOUT = 20_000; // every test
const STEP_TIMEOUT = 10_000; // every Playwright action and navigation
const START_TIMEOUT = 90_000; // Valet's first start generates four signing keys

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
let rp; // { server, url, callbacks }
let browser;
let aliceContext; // shared by the first two tests: SSO session and remembered consent

// ---------------------------------------------------------------------------------------------
// Helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const b64url = (buf) => Buffer.from(buf).toString('base64url');

async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/** Every URL of the redirect chain that ended in `response`, first to last. */
function redirectChain(response) {
  const urls = [];
  for (let req = response.request(); req; req = req.redirectedFrom()) urls.unshift(req.url());
  return urls;
}

/** Records every top-level document URL the page requests (redirect hops included). */
function recordNavigations(page) {
  const urls = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) urls.push(req.url());
  });
  return urls;
}

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

async function startValet(rpUrl) {
  assert.ok(fs.existsSync(VALET_BIN), `valet binary not found at ${VALET_BIN} (set VALET_BIN)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'valet-browser-'));
  const provision = path.join(dataDir, 'provision.toml');
  fs.writeFileSync(provision, provisioningToml(rpUrl), { mode: 0o600 });
  const args = [
    '--listen', `127.0.0.1:${port}`,
    '--issuer', url,
    '--data-dir', dataDir,
    '--log-level', 'warn',
    'serve', '--provision', provision,
  ];
  const env = { ...process.env, VALET_ADMIN_PASSWORD: crypto.randomBytes(18).toString('base64url') };
  const child = spawn(VALET_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const deadline = Date.now() + START_TIMEOUT;
  for (;;) {
    if (exited) throw new Error(`valet exited (${JSON.stringify(exited)}) before it was ready:\n${log.join('')}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`valet was not ready within ${START_TIMEOUT} ms:\n${log.join('')}`);
    }
    await sleep(100);
  }
  return { process: child, url, dataDir, log };
}

async function stopValet() {
  if (!valet) return;
  const { process: child, dataDir } = valet;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The relying party: /start sends the browser to Valet (PKCE S256, state, nonce); /callback checks
// state and iss, redeems the code with client_secret_basic, checks the ID token, calls /userinfo.

function rpPage(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`,
  );
}

async function verifyIdToken(idToken, expectedNonce) {
  const [h, p, s] = idToken.split('.');
  assert.ok(h && p && s, 'id_token is a compact JWS');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const jwks = await (await fetch(`${valet.url}/jwks`)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the id_token's kid ${header.kid} is in the JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const verified = {
    RS256: () => crypto.verify('sha256', data, key, sig),
    PS256: () =>
      crypto.verify('sha256', data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig),
    ES256: () => crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig),
    EdDSA: () => crypto.verify(null, data, key, sig),
  }[header.alg]?.();
  assert.equal(verified, true, `id_token signature (${header.alg}) verifies`);
  assert.equal(claims.iss, valet.url);
  assert.ok([].concat(claims.aud).includes(CLIENT_ID), 'aud contains the client');
  assert.equal(claims.nonce, expectedNonce);
  assert.ok(claims.exp * 1000 > Date.now(), 'id_token not expired');
  return claims;
}

async function handleCallback(query, res) {
  const pending = rp.pending.get(query.get('state'));
  rp.pending.delete(query.get('state'));
  rp.callbacks.push(Object.fromEntries(query));
  if (!pending) return rpPage(res, 400, 'Sign-in failed', '<p>Unknown or reused state.</p>');
  if (query.get('iss') !== valet.url) {
    return rpPage(res, 400, 'Sign-in failed', `<p>Wrong iss: ${escapeHtml(query.get('iss'))}</p>`);
  }
  if (query.has('error')) {
    return rpPage(
      res,
      200,
      'Sign-in failed',
      `<p id="error">error=${escapeHtml(query.get('error'))}</p>` +
        `<p id="error-description">${escapeHtml(query.get('error_description') ?? '')}</p>`,
    );
  }
  const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
  const tokenRes = await fetch(`${valet.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.get('code') ?? '',
      redirect_uri: `${rp.url}/callback`,
      code_verifier: pending.verifier,
    }),
    signal: AbortSignal.timeout(STEP_TIMEOUT),
  });
  const tokens = await tokenRes.json();
  if (tokenRes.status !== 200) {
    return rpPage(res, 502, 'Sign-in failed', `<pre>token: ${escapeHtml(JSON.stringify(tokens))}</pre>`);
  }
  const idClaims = await verifyIdToken(tokens.id_token, pending.nonce);
  const infoRes = await fetch(`${valet.url}/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
    signal: AbortSignal.timeout(STEP_TIMEOUT),
  });
  const info = await infoRes.json();
  if (infoRes.status !== 200 || info.sub !== idClaims.sub) {
    return rpPage(res, 502, 'Sign-in failed', `<pre>userinfo: ${escapeHtml(JSON.stringify(info))}</pre>`);
  }
  rpPage(
    res,
    200,
    'Signed in',
    `<p id="who">Signed in as ${escapeHtml(info.name)} (${escapeHtml(info.email)})</p>` +
      `<p>sub: <code>${escapeHtml(info.sub)}</code></p>`,
  );
}

async function startRp() {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, rp.url);
    try {
      if (url.pathname === '/start') {
        const verifier = b64url(crypto.randomBytes(32));
        const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
        const state = b64url(crypto.randomBytes(16));
        const nonce = b64url(crypto.randomBytes(16));
        rp.pending.set(state, { verifier, nonce });
        const authorize = new URL(`${valet.url}/authorize`);
        authorize.search = new URLSearchParams({
          client_id: CLIENT_ID,
          redirect_uri: `${rp.url}/callback`,
          response_type: 'code',
          scope: SCOPE,
          state,
          nonce,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }).toString();
        res.writeHead(303, { location: authorize.toString(), 'cache-control': 'no-store' });
        return res.end();
      }
      if (url.pathname === '/callback') return await handleCallback(url.searchParams, res);
      rpPage(res, 404, 'Not found', '');
    } catch (err) {
      rpPage(res, 500, 'Relying party error', `<pre>${escapeHtml(err.stack ?? err)}</pre>`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}`, pending: new Map(), callbacks: [] };
}

// ---------------------------------------------------------------------------------------------
// Browser steps

async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  return context;
}

/** From the RP's /start to Valet's login page. */
async function openLogin(page) {
  const response = await page.goto(`${rp.url}/start`);
  assert.equal(response.status(), 200);
  assert.match(page.url(), new RegExp(`^${valet.url}/interaction/[^/?]+$`));
  assert.match(await page.title(), /Sign in/);
  return response;
}

async function fillLogin(page, username, password) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
}

const signIn = (page) => page.getByRole('button', { name: 'Sign in' }).click();

// ---------------------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, f));
  rp = await startRp();
  valet = await startValet(rp.url);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  console.log(`chromium ${browser.version()}, valet at ${valet.url}, relying party at ${rp.url}`);
}, { timeout: START_TIMEOUT + 30_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise((resolve) => (rp ? rp.server.close(resolve) : resolve()));
  rp?.server.closeAllConnections?.();
  await stopValet();
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

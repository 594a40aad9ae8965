// What the browser test files share: a real `valet` binary started on a free port, a tiny relying
// party written with node:http (authorization code flow with PKCE, client_secret_basic), headless
// Debian Chromium driven by playwright-core, and the steps through Valet's login page.
// Each *.test.mjs file runs in its own process, with its own Valet, relying party and browser.

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
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const VALET_BIN =
  process.env.VALET_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/valet-target'), 'debug/valet');

export const TEST_TIMEOUT = 20_000; // every test
export const STEP_TIMEOUT = 10_000; // every Playwright action and navigation
export const START_TIMEOUT = 90_000; // Valet's first start generates four signing keys

// ---------------------------------------------------------------------------------------------
// Helpers

/** A port free at the time of the call, outside Linux's ephemeral range (32768 and up), where the
 * outgoing connections of parallel tests (Chromium makes many) would take it before Valet binds it. */
export async function freePort() {
  for (let i = 0; i < 1000; i++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise((resolve) => {
      const server = net.createServer();
      server.unref();
      server.on('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port between 10000 and 32000');
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/** Every URL of the redirect chain that ended in `response`, first to last. */
export function redirectChain(response) {
  const urls = [];
  for (let req = response.request(); req; req = req.redirectedFrom()) urls.unshift(req.url());
  return urls;
}

/** Records every top-level document URL the page requests (redirect hops included). */
export function recordNavigations(page) {
  const urls = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) urls.push(req.url());
  });
  return urls;
}

// ---------------------------------------------------------------------------------------------
// Valet

/**
 * Starts `valet serve` on a free port with a fresh data directory, provisioned from the TOML text
 * `provisioning`; `env` is added to the environment. Resolves once /readyz answers 200.
 */
export async function startValet({ provisioning, env: extraEnv = {} }) {
  assert.ok(fs.existsSync(VALET_BIN), `valet binary not found at ${VALET_BIN} (set VALET_BIN)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'valet-browser-'));
  const provision = path.join(dataDir, 'provision.toml');
  fs.writeFileSync(provision, provisioning, { mode: 0o600 });
  const args = [
    '--listen', `127.0.0.1:${port}`,
    '--issuer', url,
    '--data-dir', dataDir,
    '--log-level', 'warn',
    'serve', '--provision', provision,
  ];
  const env = { ...process.env, VALET_ADMIN_PASSWORD: crypto.randomBytes(18).toString('base64url'), ...extraEnv };
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

export async function stopValet(valet) {
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

/**
 * Verifies the signature of the compact JWS `token` with a key of `{issuer}/jwks` (found by kid);
 * `what` names the token in assertion messages. Returns the decoded header and claims.
 */
export async function verifyJws(token, issuer, what) {
  const [h, p, s] = String(token).split('.');
  assert.ok(h && p && s, `${what} is a compact JWS`);
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const jwks = await (await fetch(`${issuer}/jwks`)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the ${what}'s kid ${header.kid} is in the JWKS`);
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
  assert.equal(verified, true, `${what} signature (${header.alg}) verifies`);
  return { header, claims };
}

// ---------------------------------------------------------------------------------------------
// The relying party: /start sends the browser to Valet (PKCE S256, state, nonce; `?prompt=` is passed
// on); /callback checks state and iss, redeems the code with client_secret_basic, checks the ID token,
// calls /userinfo. `routes` maps further paths to `async (req, res, url) => ...` handlers.
// Every request is recorded in `rp.requests` ({ seq, method, url }) in arrival order; every
// completed sign-in in `rp.signIns` ({ idToken, idClaims, info, tokens }: `tokens` is the token
// response). `clientSecret` may be a function, for a client registered after the RP started.

export function rpPage(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`,
  );
}

/** `issuer` is a function: the relying party starts before Valet, which needs its URL. */
export async function startRp({ clientId, clientSecret, scope, issuer, routes = {} }) {
  const rp = { server: null, url: '', pending: new Map(), callbacks: [], signIns: [], requests: [] };

  async function verifyIdToken(idToken, expectedNonce) {
    const { claims } = await verifyJws(idToken, issuer(), 'id_token');
    assert.equal(claims.iss, issuer());
    assert.ok([].concat(claims.aud).includes(clientId), 'aud contains the client');
    assert.equal(claims.nonce, expectedNonce);
    assert.ok(claims.exp * 1000 > Date.now(), 'id_token not expired');
    return claims;
  }

  async function handleCallback(query, res) {
    const pending = rp.pending.get(query.get('state'));
    rp.pending.delete(query.get('state'));
    rp.callbacks.push(Object.fromEntries(query));
    if (!pending) return rpPage(res, 400, 'Sign-in failed', '<p>Unknown or reused state.</p>');
    if (query.get('iss') !== issuer()) {
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
    const secret = typeof clientSecret === 'function' ? clientSecret() : clientSecret;
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    const tokenRes = await fetch(`${issuer()}/token`, {
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
    const infoRes = await fetch(`${issuer()}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
      signal: AbortSignal.timeout(STEP_TIMEOUT),
    });
    const info = await infoRes.json();
    if (infoRes.status !== 200 || info.sub !== idClaims.sub) {
      return rpPage(res, 502, 'Sign-in failed', `<pre>userinfo: ${escapeHtml(JSON.stringify(info))}</pre>`);
    }
    rp.signIns.push({ idToken: tokens.id_token, idClaims, info, tokens });
    rpPage(
      res,
      200,
      'Signed in',
      `<p id="who">Signed in as ${escapeHtml(info.name)} (${escapeHtml(info.email)})</p>` +
        `<p>sub: <code>${escapeHtml(info.sub)}</code></p>`,
    );
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, rp.url);
    rp.requests.push({ seq: rp.requests.length + 1, method: req.method, url: url.toString() });
    try {
      if (url.pathname === '/start') {
        const verifier = b64url(crypto.randomBytes(32));
        const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
        const state = b64url(crypto.randomBytes(16));
        const nonce = b64url(crypto.randomBytes(16));
        rp.pending.set(state, { verifier, nonce });
        const authorize = new URL(`${issuer()}/authorize`);
        authorize.search = new URLSearchParams({
          client_id: clientId,
          redirect_uri: `${rp.url}/callback`,
          response_type: 'code',
          scope,
          state,
          nonce,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          ...(url.searchParams.has('prompt') ? { prompt: url.searchParams.get('prompt') } : {}),
        }).toString();
        res.writeHead(303, { location: authorize.toString(), 'cache-control': 'no-store' });
        return res.end();
      }
      if (url.pathname === '/callback') return await handleCallback(url.searchParams, res);
      if (Object.hasOwn(routes, url.pathname)) return await routes[url.pathname](req, res, url);
      rpPage(res, 404, 'Not found', '');
    } catch (err) {
      rpPage(res, 500, 'Relying party error', `<pre>${escapeHtml(err.stack ?? err)}</pre>`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  rp.server = server;
  rp.url = `http://127.0.0.1:${server.address().port}`;
  return rp;
}

// ---------------------------------------------------------------------------------------------
// Browser steps

export function launchBrowser() {
  return chromium.launch({
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
}

export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  return context;
}

/** From the relying party's /start to Valet's login page. */
export async function openLogin(page, rpUrl, issuer) {
  const response = await page.goto(`${rpUrl}/start`);
  assert.equal(response.status(), 200);
  // The login page is /authorize's own answer (no redirect to it); its form posts to the interaction.
  assert.match(page.url(), new RegExp(`^${issuer}/authorize\\?`));
  assert.match(await page.locator('form').getAttribute('action'), new RegExp(`^${issuer}/interaction/[^/?]+/login$`));
  assert.match(await page.title(), /Sign in/);
  return response;
}

export async function fillLogin(page, username, password) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
}

export const signIn = (page) => page.getByRole('button', { name: 'Sign in' }).click();

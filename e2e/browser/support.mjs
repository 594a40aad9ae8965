// What the browser test files share: a real `valet` binary started on a free port, a relying party
// (the `valet-e2e-rp` binary, built on the `openidconnect` crate: authorization code flow with PKCE,
// client_secret_basic), headless Debian Chromium driven by playwright-core, and the steps through
// Valet's login page.
// Each *.test.mjs file runs in its own process, with its own Valet, relying party and browser.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const TARGET = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/valet-target');
export const VALET_BIN = process.env.VALET_BIN || path.join(TARGET, 'debug/valet');
export const RP_BIN = process.env.VALET_E2E_RP_BIN || path.join(TARGET, 'debug/valet-e2e-rp');

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
// The relying party: the `valet-e2e-rp` binary (e2e/src/bin/valet-e2e-rp, built on the `openidconnect`
// crate). /start sends the browser to Valet (PKCE S256, state, nonce; `?prompt=` is passed on);
// /callback checks state and iss, redeems the code with client_secret_basic, verifies the ID token
// with the crate's verifier and calls /userinfo; /refresh redeems the latest sign-in's refresh token
// (`#refreshed`, or `#error` with `error=<code>`). The binary reports every event as a JSON line on
// stdout and waits for our answer on stdin, so what the tests read is recorded before the browser
// sees the next page; the answer carries the issuer and client secret of the moment (`issuer` and
// `clientSecret` may be functions: Valet starts after the relying party, and a client registered in
// the console gets its secret later).
// `routes` maps further paths to `async (req, res, url) => ...` handlers, served here in Node: the
// binary forwards requests for any other path to them, and `req.seq` is the request's `seq`.
// Every request is recorded in `rp.requests` ({ seq, method, url }) in arrival order; every
// authorization response in `rp.callbacks` (its query parameters); every completed sign-in in
// `rp.signIns` ({ idToken, idClaims, info, tokens }: `tokens` is the token response). `rp.close()`
// stops the binary and the routes' server.

export function rpPage(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`,
  );
}

/** The server of the test's own relying-party endpoints, behind the binary's `--forward`. */
async function serveRoutes(routes, rp) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, rp.url);
    req.seq = Number(req.headers['x-valet-rp-seq']);
    try {
      if (Object.hasOwn(routes, url.pathname)) return await routes[url.pathname](req, res, url);
      rpPage(res, 404, 'Not found', '');
    } catch (err) {
      rpPage(res, 500, 'Relying party error', `<pre>${escapeHtml(err.stack ?? err)}</pre>`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function startRp({ clientId, clientSecret, scope, issuer, routes = {} }) {
  assert.ok(fs.existsSync(RP_BIN), `relying party binary not found at ${RP_BIN} (set VALET_E2E_RP_BIN)`);
  const rp = { url: '', callbacks: [], signIns: [], requests: [], log: [], process: null, routeServer: null };
  const now = (value) => {
    try {
      return typeof value === 'function' ? value() : value;
    } catch {
      return undefined; // not known yet (Valet is not started)
    }
  };
  const args = ['--client-id', clientId, '--scope', scope, '--acks'];
  if (Object.keys(routes).length > 0) {
    rp.routeServer = await serveRoutes(routes, rp);
    args.push('--forward', `http://127.0.0.1:${rp.routeServer.address().port}`);
  }
  const child = spawn(RP_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  rp.process = child;
  child.stderr.on('data', (d) => rp.log.push(d.toString()));
  child.stdin.on('error', (err) => rp.log.push(`stdin: ${err.message}\n`)); // it exited
  const listening = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      reject(new Error(`valet-e2e-rp exited (${code ?? signal}) before listening:\n${rp.log.join('')}`)),
    );
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        rp.log.push(`stdout: ${line}\n`);
        return;
      }
      if (event.event === 'listening') {
        rp.url = event.url;
        resolve();
      } else if (event.event === 'request') {
        rp.requests.push({ seq: event.seq, method: event.method, url: event.url });
      } else if (event.event === 'callback') {
        rp.callbacks.push(event.query);
      } else if (event.event === 'sign_in') {
        rp.signIns.push({ idToken: event.id_token, idClaims: event.id_claims, info: event.userinfo, tokens: event.tokens });
      }
      const answer = { ack: event.n, issuer: now(issuer), client_secret: now(clientSecret) };
      child.stdin.write(`${JSON.stringify(answer)}\n`);
    });
  });
  rp.close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end(); // it exits when its stdin closes
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    if (rp.routeServer) {
      const closed = new Promise((resolve) => rp.routeServer.close(resolve));
      rp.routeServer.closeAllConnections();
      await closed;
    }
  };
  await listening;
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

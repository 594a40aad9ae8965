// A headless Chromium (Debian `chromium`, driven by playwright-core) signs out through Valet's real
// logout pages (OpenID RP-Initiated, Front-Channel and Back-Channel Logout 1.0), against a real `valet`
// binary and a relying party (the `valet-e2e-rp` binary, built on the `openidconnect` crate) that
// registers a post-logout redirect URI, a front-channel and a back-channel logout URI on itself; those
// three endpoints are this file's, in Node, behind the binary.
//
//   VALET_BIN=/path/to/valet VALET_E2E_RP_BIN=/path/to/valet-e2e-rp node --test e2e/browser/logout.test.mjs
//
// scripts/browser-tests installs Chromium and the npm dependency, builds the binaries and runs this.
// Screenshots of the pages land in e2e/browser/artifacts/logout-*.png (git-ignored).
// The harness (Valet, the relying party, Chromium, the login steps) is shared: support.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS,
  TEST_TIMEOUT,
  STEP_TIMEOUT,
  START_TIMEOUT,
  sleep,
  b64url,
  screenshot,
  recordNavigations,
  startValet,
  stopValet,
  verifyJws,
  rpPage,
  startRp,
  launchBrowser,
  newContext as newBrowserContext,
  openLogin as openLoginAt,
  fillLogin,
  signIn,
} from './support.mjs';

const CLIENT_ID = 'logout-rp';
const CLIENT_NAME = 'Logout RP';
const CLIENT_SECRET = crypto.randomBytes(32).toString('base64url'); // 43 characters
const SCOPE = 'openid profile email';
// One user (so one session) per scenario: logout tokens and front-channel requests are told apart by sid.
const USERS = {
  alice: { password: 'alice-correct-horse', name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { password: 'bob-battery-staple', name: 'Bob Builder', email: 'bob@example.com' },
  carol: { password: 'carol-no-javascript', name: 'Carol Danvers', email: 'carol@example.com' },
};
// The contract: a receiver on 127.0.0.1 is reachable only when loopback is allowed explicitly.
const VALET_ENV = { VALET_OUTBOUND_ALLOW_NETWORKS: '127.0.0.0/8,::1/128' };
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
// Exactly echoed, so it holds characters that need percent-encoding.
const STATE = `logout-${b64url(crypto.randomBytes(6))} /?&=+%~é`;

let valet; // { process, url, dataDir, log }
let rp; // { url, callbacks, signIns, requests, close, frontchannel, backchannel }
let browser;
let aliceContext; // shared by the logout test and the prompt=none test after it
let aliceSignedOut = false;
let bobContext; // shared by "Stay signed in" and the id_token_hint test after it
let bob; // { sub, sid, idToken } of Bob's latest sign-in

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
post_logout_redirect_uris = ["${rpUrl}/post_logout_redirect"]
backchannel_logout_uri = "${rpUrl}/backchannel_logout"
backchannel_logout_session_required = true
frontchannel_logout_uri = "${rpUrl}/frontchannel_logout"
frontchannel_logout_session_required = true
grant_types = ["authorization_code"]
scope = "${SCOPE}"
${users}`;
}

const postLogoutRedirect = () => `${rp.url}/post_logout_redirect`;

/** {issuer}/logout with these query parameters. */
function logoutUrl(params = {}) {
  const url = new URL(`${valet.url}/logout`);
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}

/** The last lines Valet logged, for failure messages. */
const valetLog = () => valet.log.join('').split('\n').slice(-30).join('\n');

async function waitUntil(what, predicate, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeout} ms; valet log:\n${valetLog()}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// The relying party's logout endpoints, in Node behind the binary (its sign-in side: support.mjs's startRp)

const rpRoutes = {
  // Loaded by the browser in an iframe of Valet's logout page.
  '/frontchannel_logout': async (req, res, url) => {
    rp.frontchannel.push({
      seq: req.seq,
      method: req.method,
      params: [...url.searchParams.keys()],
      query: Object.fromEntries(url.searchParams),
      dest: req.headers['sec-fetch-dest'],
    });
    rpPage(res, 200, 'Front-channel logout', '<p>Session cleared.</p>');
  },
  // Called by Valet itself.
  '/backchannel_logout': async (req, res) => {
    const seq = req.seq;
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString();
    const form = new URLSearchParams(body);
    let claims = null;
    try {
      claims = JSON.parse(Buffer.from(form.get('logout_token').split('.')[1], 'base64url'));
    } catch {
      // checked by the test
    }
    rp.backchannel.push({
      seq,
      method: req.method,
      contentType: req.headers['content-type'],
      params: [...form.keys()],
      token: form.get('logout_token'),
      claims,
    });
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  },
  '/post_logout_redirect': async (req, res, url) => {
    rpPage(
      res,
      200,
      `Signed out of ${CLIENT_NAME}`,
      `<p id="state">state=${url.searchParams.has('state') ? url.searchParams.get('state') : '(none)'}</p>`,
    );
  },
};

const lastSeq = () => rp.requests.at(-1)?.seq ?? 0;
const rpRequestsSince = (seq) => rp.requests.filter((r) => r.seq > seq);

/** Checks a logout token as OpenID Back-Channel Logout 1.0 §2.4 and the contract describe it. */
async function verifyLogoutToken(token, user) {
  const { header, claims } = await verifyJws(token, valet.url, 'logout_token');
  assert.equal(header.typ, 'logout+jwt', 'logout_token header typ');
  assert.equal(header.alg, 'RS256', "logout_token alg = the client's id_token_signed_response_alg (default)");
  assert.equal(claims.iss, valet.url, 'logout_token iss');
  assert.equal(claims.aud, CLIENT_ID, 'logout_token aud is the client_id, as a string');
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Number.isInteger(claims.iat) && Math.abs(claims.iat - now) < 60, `logout_token iat ${claims.iat} is now`);
  assert.equal(claims.exp, claims.iat + 120, 'logout_token exp = iat + 120');
  assert.ok(typeof claims.jti === 'string' && claims.jti.length > 0, 'logout_token jti');
  assert.deepEqual(claims.events, { [BACKCHANNEL_EVENT]: {} }, 'logout_token events');
  assert.equal(claims.sub, user.sub, 'logout_token sub = the id_token sub');
  assert.equal(claims.sid, user.sid, 'logout_token sid = the id_token sid');
  assert.equal('nonce' in claims, false, 'logout_token has no nonce');
  return claims;
}

/**
 * After a logout of `user`'s session: exactly one back-channel POST and one front-channel iframe GET
 * arrived at the relying party since `sinceSeq`, both well formed. Returns both records.
 */
async function assertNotified(user, sinceSeq) {
  await waitUntil('back-channel logout POST', () => rp.backchannel.some((b) => b.seq > sinceSeq));
  await waitUntil('front-channel logout iframe GET', () => rp.frontchannel.some((f) => f.seq > sinceSeq));
  await sleep(300); // would a duplicate follow?
  const back = rp.backchannel.filter((b) => b.seq > sinceSeq);
  const front = rp.frontchannel.filter((f) => f.seq > sinceSeq);
  console.log(`back-channel: ${JSON.stringify(back.map(({ token, ...b }) => b))}`);
  console.log(`front-channel: ${JSON.stringify(front)}`);

  assert.equal(back.length, 1, 'one back-channel logout POST for the one relying party of the session');
  assert.equal(back[0].method, 'POST');
  assert.match(back[0].contentType ?? '', /^application\/x-www-form-urlencoded\b/);
  assert.deepEqual(back[0].params, ['logout_token'], 'the body is logout_token and nothing else');
  await verifyLogoutToken(back[0].token, user);

  assert.equal(front.length, 1, 'one front-channel logout request for the one relying party of the session');
  assert.equal(front[0].method, 'GET');
  assert.equal(front[0].dest, 'iframe', 'the browser loaded the front-channel logout URI in an iframe');
  assert.deepEqual(front[0].params.toSorted(), ['iss', 'sid']);
  assert.equal(front[0].query.iss, valet.url);
  assert.equal(front[0].query.sid, user.sid);
  return { back: back[0], front: front[0] };
}

// ---------------------------------------------------------------------------------------------
// Browser steps

const newContext = (options = {}) => newBrowserContext(browser, options);

const openLogin = (page) => openLoginAt(page, rp.url, valet.url);

/** `user`'s sign-in that the relying party completed last: { sub, sid, idToken }. */
function lastSignIn(username, countBefore) {
  assert.equal(rp.signIns.length, countBefore + 1, 'the relying party completed one sign-in');
  const { idToken, idClaims, info } = rp.signIns.at(-1);
  assert.equal(info.email, USERS[username].email);
  assert.ok(
    typeof idClaims.sid === 'string' && idClaims.sid.length > 0,
    `the id_token carries sid (session logout needs it): ${JSON.stringify(idClaims)}`,
  );
  return { sub: idClaims.sub, sid: idClaims.sid, idToken };
}

/** The login flow of login.test.mjs: /start, login page, consent page (unless remembered), back at the RP. */
async function signInToRp(page, username) {
  const user = USERS[username];
  const countBefore = rp.signIns.length;
  await openLogin(page);
  await fillLogin(page, username, user.password);
  await signIn(page);
  const allow = page.getByRole('button', { name: 'Allow' });
  const signedIn = page.getByText(`Signed in as ${user.name} (${user.email})`);
  await allow.or(signedIn).first().waitFor();
  if (await allow.count()) await allow.click();
  await signedIn.waitFor();
  return lastSignIn(username, countBefore);
}

/** /authorize?prompt=none through the relying party; the query of its callback, no page shown on the way. */
async function authorizeSilently(page) {
  const navigations = recordNavigations(page);
  const response = await page.goto(`${rp.url}/start?prompt=none`);
  assert.equal(response.status(), 200);
  assert.deepEqual(navigations.filter((u) => u.includes('/interaction/')), [], 'prompt=none shows no page');
  const url = new URL(page.url());
  assert.equal(`${url.origin}${url.pathname}`, `${rp.url}/callback`, `prompt=none ends at the callback: ${page.url()}`);
  assert.equal(url.searchParams.get('iss'), valet.url);
  return url.searchParams;
}

/** Waits until the top-level page is at `{rp}{pathname}`; says where it is instead when it never gets there. */
async function landOn(page, pathname) {
  try {
    await page.waitForURL((u) => u.origin === rp.url && u.pathname === pathname);
  } catch (err) {
    const text = await page.locator('body').innerText().catch(() => '(no body)');
    throw new Error(
      `the browser did not reach ${rp.url}${pathname}; it is at ${page.url()} ` +
        `(title ${JSON.stringify(await page.title().catch(() => '?'))}):\n${text.slice(0, 1500)}\n` +
        `valet log:\n${valetLog()}`,
      { cause: err },
    );
  }
}

/** Collects Valet's top-level document responses: { url, status, csp }. */
function recordValetDocuments(page) {
  const docs = [];
  page.on('response', (res) => {
    const req = res.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame() && res.url().startsWith(`${valet.url}/`)) {
      docs.push({ url: res.url(), method: req.method(), status: res.status(), csp: res.headers()['content-security-policy'] });
    }
  });
  return docs;
}

function assertStrictCsp(docs) {
  for (const doc of docs.filter((d) => d.status === 200)) {
    assert.ok(doc.csp, `${doc.method} ${doc.url} has a Content-Security-Policy`);
    assert.doesNotMatch(doc.csp, /unsafe-inline|unsafe-eval/, `${doc.method} ${doc.url}: ${doc.csp}`);
  }
}

/** The confirmation page of the contract, and its accessibility basics. Returns the text of <main>. */
async function assertConfirmPage(page, response) {
  assert.equal(response.status(), 200);
  assert.equal(response.request().redirectedFrom(), null, 'the confirmation page is not behind a redirect');
  assert.match(response.headers()['content-type'], /^text\/html/);
  const csp = response.headers()['content-security-policy'];
  assert.ok(csp, 'the confirmation page has a Content-Security-Policy');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(await page.title(), /^Sign out\?/);

  assert.ok(await page.locator('html').getAttribute('lang'), '<html lang> is set');
  assert.equal(await page.locator('main').count(), 1, 'one <main>');
  assert.equal(await page.locator('h1').count(), 1, 'one <h1>');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Sign out?');

  const form = page.locator('form#logout-confirm');
  assert.equal(await form.count(), 1, 'form#logout-confirm');
  assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
  assert.equal(new URL(await form.getAttribute('action'), page.url()).href, `${valet.url}/logout/confirm`);
  assert.ok((await form.locator('input[type="hidden"]').count()) > 0, 'the form carries hidden inputs');

  const signOut = form.getByRole('button', { name: 'Sign out', exact: true });
  assert.equal(await signOut.count(), 1, 'a "Sign out" button in the form');
  assert.equal(await signOut.getAttribute('type'), 'submit');
  assert.equal(await signOut.getAttribute('name'), 'logout');
  assert.equal(await signOut.getAttribute('value'), 'yes');
  assert.notEqual(await signOut.getAttribute('autofocus'), null, 'Sign out has autofocus');
  const stay = form.getByRole('button', { name: 'Stay signed in', exact: true });
  assert.equal(await stay.count(), 1, 'a "Stay signed in" button in the form');
  assert.equal(await stay.getAttribute('name'), 'logout');
  assert.equal(await stay.getAttribute('value'), 'no');
  assert.notEqual(await stay.getAttribute('type'), 'button', '"Stay signed in" submits the form');

  const buttons = page.getByRole('button');
  for (let i = 0; i < (await buttons.count()); i++) {
    const text = (await buttons.nth(i).innerText()).trim();
    assert.ok(text.length > 0, `button ${i} has visible text`);
  }
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /panic|backtrace|sqlx|sea_orm/i);
  return text;
}

/** Valet's "signed out" page of the contract. */
async function assertSignedOutPage(page) {
  assert.match(await page.title(), /^Signed out/);
  assert.equal(await page.locator('#signed-out').count(), 1, 'element id="signed-out"');
  await assert.doesNotReject(page.getByText('You are signed out').first().waitFor());
  assert.equal(await page.locator('main').count(), 1, 'one <main>');
  assert.equal(await page.locator('h1').count(), 1, 'one <h1>');
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (/^logout-.*\.png$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
  rp = await startRp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: SCOPE,
    issuer: () => valet.url,
    routes: rpRoutes,
  });
  rp.frontchannel = [];
  rp.backchannel = [];
  valet = await startValet({ provisioning: provisioningToml(rp.url), env: VALET_ENV });
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

test('discovery advertises the end-session endpoint and both logout channels', { timeout: TEST_TIMEOUT }, async () => {
  const res = await fetch(`${valet.url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(STEP_TIMEOUT) });
  assert.equal(res.status, 200);
  const meta = await res.json();
  assert.equal(meta.end_session_endpoint, `${valet.url}/logout`);
  assert.equal(meta.backchannel_logout_supported, true);
  assert.equal(meta.backchannel_logout_session_supported, true);
  assert.equal(meta.frontchannel_logout_supported, true);
  assert.equal(meta.frontchannel_logout_session_supported, true);
});

test('logout without id_token_hint: confirm, front- and back-channel logout, back to the RP with state', { timeout: TEST_TIMEOUT }, async () => {
  aliceContext = await newContext();
  const page = await aliceContext.newPage();
  const alice = await signInToRp(page, 'alice');

  const docs = recordValetDocuments(page);
  const response = await page.goto(
    logoutUrl({ client_id: CLIENT_ID, post_logout_redirect_uri: postLogoutRedirect(), state: STATE }),
  );
  const text = await assertConfirmPage(page, response);
  console.log(`confirmation page: ${JSON.stringify(text)}`);
  await screenshot(page, 'logout-confirm.png');

  // Keyboard: the autofocused Sign out button has the focus, so Enter signs out.
  const focused = page.locator('form#logout-confirm button[value="yes"]:focus');
  await assert.doesNotReject(focused.waitFor({ timeout: 2_000 }), 'Sign out has the focus (autofocus)');
  const seq = lastSeq();
  const confirmed = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${valet.url}/logout/confirm`);
  await page.keyboard.press('Enter');
  const confirmResponse = await confirmed;
  aliceSignedOut = true;
  console.log(`POST /logout/confirm: ${confirmResponse.status()}`);
  await landOn(page, '/post_logout_redirect');

  const landed = new URL(page.url());
  assert.deepEqual([...landed.searchParams.keys()], ['state'], `only state is added: ${page.url()}`);
  assert.equal(landed.searchParams.get('state'), STATE, 'state exactly echoed');
  await assert.doesNotReject(page.getByText(`Signed out of ${CLIENT_NAME}`).waitFor());

  const { back, front } = await assertNotified(alice, seq);
  const redirect = rpRequestsSince(seq).find((r) => new URL(r.url).pathname === '/post_logout_redirect');
  assert.ok(back.seq < redirect.seq, 'the back-channel POST came before the redirect to the RP');
  assert.ok(front.seq < redirect.seq, 'the front-channel iframe loaded before the page went on to the RP');
  console.log(`valet documents: ${JSON.stringify(docs)}`);
  assertStrictCsp(docs);
});

test('after logout, prompt=none in the same browser answers error=login_required', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(aliceContext && aliceSignedOut, 'runs after the logout test, in its browser context');
  const page = await aliceContext.newPage();
  const callback = await authorizeSilently(page);
  assert.equal(callback.get('error'), 'login_required', `callback: ${callback}`);
  assert.equal(callback.get('code'), null);
  await assert.doesNotReject(page.getByText('error=login_required').waitFor());
  await aliceContext.close();
});

test('"Stay signed in" on the confirmation page keeps the session', { timeout: TEST_TIMEOUT }, async () => {
  bobContext = await newContext();
  const page = await bobContext.newPage();
  bob = await signInToRp(page, 'bob');

  const response = await page.goto(
    logoutUrl({ client_id: CLIENT_ID, post_logout_redirect_uri: postLogoutRedirect(), state: STATE }),
  );
  await assertConfirmPage(page, response);
  const seq = lastSeq();
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${valet.url}/logout/confirm`);
  await page.getByRole('button', { name: 'Stay signed in', exact: true }).click();
  const stayResponse = await answered;
  await page.waitForLoadState();
  console.log(
    `"Stay signed in": POST /logout/confirm ${stayResponse.status()}, then ${page.url()} ` +
      `(${JSON.stringify(await page.title())})`,
  );
  assert.doesNotMatch(page.url(), /^chrome-error:/, 'the browser did not block the navigation');
  assert.equal(await page.locator('#signed-out').count(), 0, 'not the signed-out page');

  const signInsBefore = rp.signIns.length;
  const callback = await authorizeSilently(page);
  assert.equal(callback.get('error'), null, `prompt=none still signs in: ${callback}`);
  assert.ok(callback.get('code'), 'prompt=none yields a code');
  await assert.doesNotReject(page.getByText(`Signed in as ${USERS.bob.name} (${USERS.bob.email})`).waitFor());
  const again = lastSignIn('bob', signInsBefore);
  assert.equal(again.sid, bob.sid, 'the same session (sid) as before');
  bob = again;
  assert.deepEqual(rp.backchannel.filter((b) => b.seq > seq), [], 'no back-channel logout');
  assert.deepEqual(rp.frontchannel.filter((f) => f.seq > seq), [], 'no front-channel logout');
});

test('logout with a valid id_token_hint: no confirmation page, straight to post_logout_redirect_uri', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(bobContext && bob, 'runs after the "Stay signed in" test, in its browser context');
  const page = await bobContext.newPage();
  const navigations = recordNavigations(page);
  const docs = recordValetDocuments(page);
  const seq = lastSeq();
  // No state: the redirect then carries none.
  await page.goto(logoutUrl({ id_token_hint: bob.idToken, post_logout_redirect_uri: postLogoutRedirect() }), {
    waitUntil: 'commit',
  });
  await landOn(page, '/post_logout_redirect');
  console.log(`navigations: ${JSON.stringify(navigations)}`);
  console.log(`valet documents: ${JSON.stringify(docs)}`);
  assert.equal(page.url(), postLogoutRedirect(), 'exactly the registered URI, no state added');
  assert.ok(!navigations.some((u) => u.startsWith(`${valet.url}/logout/confirm`)), 'no confirmation step');

  const { back, front } = await assertNotified(bob, seq);
  const redirect = rpRequestsSince(seq).find((r) => new URL(r.url).pathname === '/post_logout_redirect');
  assert.ok(back.seq < redirect.seq, 'the back-channel POST came before the redirect to the RP');
  assert.ok(front.seq < redirect.seq, 'the front-channel iframe loaded before the page went on to the RP');
  assertStrictCsp(docs);

  const callback = await authorizeSilently(page);
  assert.equal(callback.get('error'), 'login_required', `callback: ${callback}`);
  await bobContext.close();
});

test('logout with no parameters and no session shows the signed-out page', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const seq = lastSeq();
    const response = await page.goto(logoutUrl());
    assert.equal(response.status(), 200);
    assert.equal(response.request().redirectedFrom(), null, 'no redirect');
    assert.match(response.headers()['content-type'], /^text\/html/);
    await assertSignedOutPage(page);
    await screenshot(page, 'logout-signed-out.png');
    console.log(`signed-out page: ${JSON.stringify(await page.locator('main').innerText())}`);
    assert.deepEqual(rpRequestsSince(seq), [], 'the relying party heard nothing');
  } finally {
    await context.close();
  }
});

test('an unregistered post_logout_redirect_uri shows an error page (400) and goes nowhere', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const navigations = recordNavigations(page);
    const seq = lastSeq();
    const cases = [
      ['another path of the RP', { client_id: CLIENT_ID, post_logout_redirect_uri: `${rp.url}/elsewhere`, state: STATE }],
      ['a trailing slash', { client_id: CLIENT_ID, post_logout_redirect_uri: `${postLogoutRedirect()}/`, state: STATE }],
      ['an added query', { client_id: CLIENT_ID, post_logout_redirect_uri: `${postLogoutRedirect()}?x=1` }],
      ['no client_id and no hint', { post_logout_redirect_uri: postLogoutRedirect(), state: STATE }],
    ];
    for (const [i, [what, params]] of cases.entries()) {
      const url = logoutUrl(params);
      const response = await page.goto(url);
      assert.equal(response.status(), 400, what);
      assert.equal(response.request().redirectedFrom(), null, `${what}: no redirect`);
      assert.match(response.headers()['content-type'], /^text\/html/, what);
      await assert.doesNotReject(page.getByText('post_logout_redirect_uri not registered').first().waitFor(), what);
      assert.equal(await page.locator('main').count(), 1, `${what}: one <main>`);
      assert.equal(await page.locator('h1').count(), 1, `${what}: one <h1>`);
      assert.doesNotMatch(await page.locator('main').innerText(), /panic|backtrace|sqlx|sea_orm/i);
      if (i === 0) {
        await screenshot(page, 'logout-error.png');
        console.log(`error page: ${JSON.stringify(await page.locator('main').innerText())}`);
      }
      await sleep(200); // a late navigation (script, meta refresh) would show up below
      assert.equal(page.url(), url, `${what}: still on the error page`);
    }
    assert.ok(navigations.every((u) => u.startsWith(`${valet.url}/`)), `navigations: ${JSON.stringify(navigations)}`);
    assert.deepEqual(rpRequestsSince(seq), [], 'the relying party heard nothing');
  } finally {
    await context.close();
  }
});

test('the confirmation page and the way back to the RP work with JavaScript disabled', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const carol = await signInToRp(page, 'carol');

    const response = await page.goto(
      logoutUrl({ client_id: CLIENT_ID, post_logout_redirect_uri: postLogoutRedirect(), state: STATE }),
    );
    await assertConfirmPage(page, response);
    const seq = lastSeq();
    const confirmed = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${valet.url}/logout/confirm`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    const confirmResponse = await confirmed;
    console.log(`POST /logout/confirm without JavaScript: ${confirmResponse.status()}`);
    // The iframes load without JavaScript; only going on afterwards may need it.
    await waitUntil('front-channel logout iframe GET', () => rp.frontchannel.some((f) => f.seq > seq));
    await page.waitForLoadState();

    if (page.url().startsWith(`${valet.url}/`)) {
      const frames = page.locator('iframe');
      assert.ok((await frames.count()) > 0, 'the front-channel page has the iframes');
      const src = new URL(await frames.first().getAttribute('src'), page.url());
      assert.equal(`${src.origin}${src.pathname}`, `${rp.url}/frontchannel_logout`);
      assert.equal(src.searchParams.get('iss'), valet.url);
      assert.equal(src.searchParams.get('sid'), carol.sid);
      const link = page.locator('#post-logout-continue');
      assert.equal(await link.count(), 1, 'element id="post-logout-continue"');
      assert.ok(await link.isVisible(), 'the continue link is visible without JavaScript');
      assert.ok((await link.innerText()).trim().length > 0, 'the continue link has text');
      const href = new URL(await link.getAttribute('href'), page.url());
      assert.equal(`${href.origin}${href.pathname}`, postLogoutRedirect());
      assert.equal(href.searchParams.get('state'), STATE);
      await screenshot(page, 'logout-frontchannel-nojs.png');
      console.log(`front-channel page without JavaScript: ${JSON.stringify(await page.locator('body').innerText())}`);
      await link.click();
    } else {
      console.log(`without JavaScript the browser went on by itself to ${page.url()}`);
    }
    await landOn(page, '/post_logout_redirect');
    assert.equal(new URL(page.url()).searchParams.get('state'), STATE, 'state exactly echoed');
    await assertNotified(carol, seq);

    const callback = await authorizeSilently(page);
    assert.equal(callback.get('error'), 'login_required', `callback: ${callback}`);
  } finally {
    await context.close();
  }
});

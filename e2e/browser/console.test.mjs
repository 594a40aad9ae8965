// The admin console's acceptance scenario, in a headless Chromium (Debian `chromium`, driven by
// playwright-core) against a real `valet` binary serving the built console at {issuer}/admin/:
//   1. the administrator opens /admin/, signs in on Valet's login page (no consent: first party) and
//      lands on the overview;
//   2. registers a confidential client for the relying party (the valet-e2e-rp binary) with the console's form
//      (code + refresh_token, offline_access, a back-channel logout URI) and reads its secret, shown once;
//   3. carol (provisioned) signs in to that relying party, which gets tokens with a refresh token;
//   4. the administrator finds carol, revokes her grant to the client from a dialog that states the dry
//      run's counts, and watches the back-channel logout being delivered to the relying party;
//   5. the refresh token then fails with invalid_grant and introspection answers {"active": false};
//   6. the keys and audit log pages show what happened.
// Every console page gets a screenshot (e2e/browser/artifacts/console-*.png, git-ignored) and the basic
// accessibility checks: one <h1> naming the document, <html lang>, one <main>; the dialog takes focus
// and Escape closes it.
//
//   VALET_BIN=/path/to/valet VALET_CONSOLE_DIR=/path/to/console node --test e2e/browser/console.test.mjs
//
// VALET_CONSOLE_DIR is what scripts/build-console prints (default $CARGO_TARGET_DIR/console).
// scripts/browser-tests installs Chromium and the npm dependency, builds the binary and the console,
// and runs this. The harness (Valet, the relying party, Chromium, the login steps) is support.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS,
  TEST_TIMEOUT,
  STEP_TIMEOUT,
  START_TIMEOUT,
  sleep,
  screenshot as screenshotPage,
  recordNavigations,
  startValet,
  stopValet,
  verifyJws,
  startRp,
  launchBrowser,
  newContext as newBrowserContext,
  openLogin,
  fillLogin,
  signIn,
} from './support.mjs';

const CONSOLE_DIR =
  process.env.VALET_CONSOLE_DIR ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/valet-target'), 'console');
const ADMIN_PASSWORD = `admin-${crypto.randomBytes(12).toString('base64url')}`;
const CLIENT_ID = 'console-rp';
const CLIENT_NAME = 'Console RP';
const SCOPE = 'openid profile offline_access';
const CAROL = { username: 'carol', password: 'carol-correct-horse', name: 'Carol Danvers', email: 'carol@example.com' };
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const REVOKE_TIMEOUT = 45_000; // the revocation test: two dialogs and a delivery to watch

let valet; // { process, url, dataDir, log }
let rp; // support.mjs's relying party, plus `backchannel`
let browser;
let admin; // the administrator's console page, shared by the tests in order
let adminSub; // the administrator's user id, as the audit log names the actor
let clientSecret = ''; // read from the console after registering the client
let carol; // { sub, sid, tokens } of carol's sign-in at the relying party
let revoked = false;
let liveGrantsAtStart; // the overview's count when the administrator arrived
const problems = []; // uncaught exceptions and console errors of the console's page
const shots = []; // screenshot file names, in order
const deviations = []; // what the console showed that it should not have, reported without failing

// ---------------------------------------------------------------------------------------------
// Helpers

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

/**
 * `viewport`: only what is on screen. For an open modal <dialog>: a full-page capture of a scrolled
 * page leaves the top of the page outside the dialog's backdrop.
 */
async function screenshot(page, name, { viewport = false } = {}) {
  assert.match(name, /^console-.*\.png$/);
  shots.push(name);
  if (!viewport) return screenshotPage(page, name);
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
  return file;
}

/** POSTs a form to Valet as the registered client (client_secret_basic); { status, body }. */
async function asClient(endpoint, params) {
  const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const res = await fetch(`${valet.url}${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(STEP_TIMEOUT),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** The "live grants" count of the overview's text. */
function liveGrants(countsText) {
  const match = /(\d+)\s+live grants\b/i.exec(countsText);
  assert.ok(match, `the overview counts live grants: ${JSON.stringify(countsText)}`);
  return Number(match[1]);
}

/** A table row's cells by the text of their column headers: { Client: '…', … }. */
const cellsByHeader = (row) =>
  row.evaluate((tr) => {
    const heads = [...tr.closest('table').querySelectorAll('thead th')].map((th) => th.innerText.trim());
    return Object.fromEntries([...tr.cells].map((td, i) => [heads[i] || `#${i}`, td.innerText.trim()]));
  });

const main = (page) => page.locator('main');
const nav = (page) => page.getByRole('navigation', { name: 'Main' });

/** The console's main navigation to `link`, until its page's <h1> reads `heading`. */
async function goTo(page, link, heading) {
  await nav(page).getByRole('link', { name: link, exact: true }).click();
  return assertConsolePage(page, heading);
}

/**
 * A console page has arrived and finished loading: its <h1> reads `heading`, it is the only <h1>, it
 * names the document and has focus (announced to screen readers), nothing is still loading and no
 * error box is shown.
 */
async function assertConsolePage(page, heading) {
  const h1 = page.getByRole('heading', { level: 1, name: heading, exact: true });
  await h1.waitFor();
  await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: STEP_TIMEOUT });
  assert.equal(await page.locator('h1').count(), 1, `${heading}: one <h1>`);
  assert.equal(await page.locator('main').count(), 1, `${heading}: one <main>`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en', `${heading}: <html lang>`);
  assert.equal(await page.title(), `${heading} · Valet admin`, `${heading}: the document title`);
  assert.equal(
    await page.evaluate(() => document.activeElement?.tagName),
    'H1',
    `${heading}: the <h1> has focus on arrival`,
  );
  assert.equal(await main(page).locator('.error-box').count(), 0, `${heading}: no error shown`);
  assert.doesNotMatch(await main(page).innerText(), /panic|backtrace|sqlx|sea_orm|undefined|NaN/i);
  return h1;
}

/** Whether focus is inside the open <dialog>, and what has it. */
const dialogFocus = (page) =>
  page.evaluate(() => {
    const dialog = document.querySelector('dialog[open]');
    const el = document.activeElement;
    return { inside: !!dialog && dialog.contains(el), focused: el?.outerHTML.slice(0, 120) ?? null };
  });

// ---------------------------------------------------------------------------------------------
// Valet and the relying party

function provisioningToml() {
  return `
[[users]]
username = "${CAROL.username}"
password = "${CAROL.password}"
claims = { name = "${CAROL.name}", email = "${CAROL.email}", email_verified = true }
`;
}

const rpRoutes = {
  // Called by Valet itself.
  '/backchannel_logout': async (req, res) => {
    const seq = req.seq;
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    rp.backchannel.push({
      seq,
      method: req.method,
      contentType: req.headers['content-type'],
      params: [...form.keys()],
      token: form.get('logout_token'),
    });
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  },
};

before(async () => {
  assert.ok(
    fs.existsSync(path.join(CONSOLE_DIR, 'index.html')),
    `no built console in ${CONSOLE_DIR}: run scripts/build-console and set VALET_CONSOLE_DIR to what it prints`,
  );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of fs.readdirSync(ARTIFACTS)) if (/^console-.*\.png$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
  rp = await startRp({
    clientId: CLIENT_ID,
    clientSecret: () => clientSecret,
    scope: SCOPE,
    issuer: () => valet.url,
    routes: rpRoutes,
  });
  rp.backchannel = [];
  valet = await startValet({
    provisioning: provisioningToml(),
    env: {
      VALET_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VALET_CONSOLE_DIR: CONSOLE_DIR,
      VALET_OUTBOUND_ALLOW_NETWORKS: '127.0.0.0/8,::1/128',
    },
  });
  browser = await launchBrowser();
  console.log(`chromium ${browser.version()}, valet at ${valet.url}, relying party at ${rp.url}, console from ${CONSOLE_DIR}`);
}, { timeout: START_TIMEOUT + 30_000 });

after(async () => {
  if (problems.length) console.log(`console page problems:\n${problems.join('\n')}`);
  if (deviations.length) console.log(`console deviations:\n${deviations.join('\n')}`);
  console.log(`console screenshots: ${shots.join(' ')}`);
  await browser?.close().catch(() => {});
  await rp?.close();
  await stopValet(valet);
});

// Should the runner die without running `after`, do not leave Valet behind.
process.on('exit', () => valet?.process.kill('SIGKILL'));

// ---------------------------------------------------------------------------------------------

test('the administrator opens /admin/, signs in on Valet\'s login page without consent, lands on the overview', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newBrowserContext(browser);
  admin = await context.newPage();
  admin.on('pageerror', (err) => problems.push(`pageerror: ${err}`));
  admin.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  const navigations = recordNavigations(admin);

  await admin.goto(`${valet.url}/admin/`);
  await admin.waitForURL(new RegExp(`^${valet.url}/authorize\\?`));
  assert.match(await admin.title(), /Sign in/);
  const authorize = navigations.map((u) => new URL(u)).find((u) => u.pathname === '/authorize');
  assert.ok(authorize, `the console sent the browser to /authorize: ${JSON.stringify(navigations)}`);
  assert.equal(authorize.searchParams.get('client_id'), 'valet-console');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');

  await fillLogin(admin, 'admin', ADMIN_PASSWORD);
  await signIn(admin);
  const allow = admin.getByRole('button', { name: 'Allow' });
  const overview = admin.getByRole('heading', { level: 1, name: 'Overview' });
  await allow.or(overview).first().waitFor();
  assert.equal(await allow.count(), 0, 'no consent page: the console is a first-party client');
  assert.match(admin.url(), new RegExp(`^${valet.url}/admin/?$`), 'back at the console, no code left in the address');

  await assertConsolePage(admin, 'Overview');
  await main(admin).getByText('Live grants').waitFor();
  await main(admin).getByRole('heading', { name: 'Recent activity' }).waitFor();
  await admin.getByText('Signed in as admin').waitFor();
  const counts = await main(admin).locator('.counts').innerText();
  console.log(`overview counts: ${JSON.stringify(counts)}`);
  assert.match(counts, /\b2\s+users\b/i, 'the overview counts admin and carol');
  liveGrantsAtStart = liveGrants(counts);
  await screenshot(admin, 'console-overview.png');

  // The administrator's user id: the audit log names the actor by it.
  const users = admin.waitForResponse((r) => /\/admin\/api\/v1\/users\?/.test(r.url()) && r.status() === 200);
  await goTo(admin, 'Users', 'Users');
  adminSub = (await (await users).json()).items.find((u) => u.username === 'admin')?.id;
  assert.ok(adminSub, 'the users listing has admin');
});

test('a confidential client is registered with the console\'s form; its secret is shown once', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(admin, 'runs after the sign-in test');
  await goTo(admin, 'Clients', 'Clients');
  await main(admin).getByRole('link', { name: 'New client' }).click();
  await assertConsolePage(admin, 'New client');

  const form = main(admin).locator('form.client-form');
  await form.getByLabel('Client ID').fill(CLIENT_ID);
  await form.getByLabel('Name', { exact: true }).fill(CLIENT_NAME);
  await form.getByLabel('Application type').selectOption('web');
  await form.getByLabel('Token endpoint authentication').selectOption('client_secret_basic');
  await form.getByRole('checkbox', { name: 'authorization_code', exact: true }).check();
  await form.getByRole('checkbox', { name: 'refresh_token', exact: true }).check();
  await form.getByRole('checkbox', { name: 'client_credentials', exact: true }).uncheck();
  await form.getByLabel('Scopes', { exact: true }).fill(SCOPE);
  await form.getByLabel('Redirect URIs', { exact: true }).fill(`${rp.url}/callback`);
  await form.getByLabel('Back-channel logout URI', { exact: true }).fill(`${rp.url}/backchannel_logout`);
  assert.equal(await form.getByRole('checkbox', { name: /First party/ }).isChecked(), false, 'not first party: carol consents');
  await screenshot(admin, 'console-client-new.png');

  const created = admin.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/admin/api/v1/clients'));
  await form.getByRole('button', { name: 'Register client' }).click();
  const response = await created;
  assert.equal(response.status(), 201, `POST /clients: ${response.status()} ${await response.text()}`);

  const notice = main(admin).getByRole('status').filter({ hasText: 'is registered' });
  await notice.waitFor();
  assert.match(await notice.innerText(), new RegExp(`The client ${CLIENT_NAME} \\(${CLIENT_ID}\\) is registered\\.`));
  await notice.getByText('shown only this once').waitFor();
  clientSecret = (await notice.locator('code').innerText()).trim();
  assert.match(clientSecret, /^[A-Za-z0-9_-]{32,}$/, 'a secret of at least 32 URL-safe characters');
  assert.equal(await main(admin).locator('form.client-form').count(), 0, 'the form is gone');
  await screenshot(admin, 'console-client-created.png');

  await notice.getByRole('link', { name: 'Open the client' }).click();
  await assertConsolePage(admin, CLIENT_NAME);
  const facts = await main(admin).locator('dl').innerText();
  console.log(`client facts: ${JSON.stringify(facts)}`);
  for (const expected of [
    CLIENT_ID,
    'confidential, web application',
    'client_secret_basic',
    'authorization_code, refresh_token',
    SCOPE,
    `${rp.url}/callback`,
    `${rp.url}/backchannel_logout`,
  ]) {
    assert.ok(facts.includes(expected), `the client page shows ${expected}`);
  }
  await main(admin).getByRole('heading', { name: 'Live grants' }).waitFor();
  await main(admin).getByText('No grants.').waitFor();
  await screenshot(admin, 'console-client.png');

  await main(admin).locator('.breadcrumb').getByRole('link', { name: 'Clients' }).click();
  await assertConsolePage(admin, 'Clients');
  const row = main(admin).getByRole('row').filter({ has: admin.getByRole('link', { name: CLIENT_NAME, exact: true }) });
  await row.waitFor();
  assert.match(await row.innerText(), /console-rp\s+confidential\s+client_secret_basic\s+enabled/);
  await screenshot(admin, 'console-clients.png');
});

test('carol signs in to the relying party; it redeems the code with the secret and gets a refresh token', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(clientSecret, 'runs after the client was registered');
  const context = await newBrowserContext(browser);
  try {
    const page = await context.newPage();
    await openLogin(page, rp.url, valet.url);
    assert.equal(await page.title(), `Sign in to ${CLIENT_NAME} · Valet`);
    await fillLogin(page, CAROL.username, CAROL.password);
    await signIn(page);
    await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#who').getByText(`Signed in as ${CAROL.name}`).waitFor();
  } finally {
    await context.close();
  }
  assert.equal(rp.signIns.length, 1, 'the relying party completed one sign-in');
  const { idClaims, tokens } = rp.signIns[0];
  carol = { sub: idClaims.sub, sid: idClaims.sid, tokens };
  console.log(`token response: ${JSON.stringify({ ...tokens, access_token: '…', id_token: '…', refresh_token: tokens.refresh_token && '…' })}`);
  assert.ok(tokens.refresh_token, 'a refresh token (offline_access was granted)');
  assert.deepEqual(tokens.scope.split(' ').toSorted(), SCOPE.split(' ').toSorted(), 'the granted scope');

  const active = await asClient('/introspect', { token: tokens.access_token });
  assert.equal(active.status, 200);
  assert.equal(active.body.active, true, `before the revocation the access token is active: ${JSON.stringify(active.body)}`);
  assert.equal(active.body.sub, carol.sub);
});

test('the console revokes carol\'s grant after a dialog with the dry run\'s counts; the relying party is told', { timeout: REVOKE_TIMEOUT }, async () => {
  assert.ok(carol, 'runs after carol signed in');
  await goTo(admin, 'Users', 'Users');
  await main(admin).getByRole('link', { name: 'admin', exact: true }).waitFor();
  const search = main(admin).getByRole('search');
  await search.getByLabel('Search users').fill('carol');
  const searched = admin.waitForResponse((r) => /\/admin\/api\/v1\/users\?.*q=carol/.test(r.url()));
  await search.getByRole('button', { name: 'Search' }).click();
  assert.equal((await searched).status(), 200);
  const carolLink = main(admin).getByRole('link', { name: CAROL.username, exact: true });
  await carolLink.waitFor();
  await main(admin).getByRole('link', { name: 'admin', exact: true }).waitFor({ state: 'detached' });
  assert.equal(await main(admin).locator('tbody tr').count(), 1, 'the search finds carol alone');
  assert.match(await main(admin).locator('tbody tr').innerText(), new RegExp(`${CAROL.name}\\s+${CAROL.email}`));
  await screenshot(admin, 'console-users.png');

  await carolLink.click();
  await assertConsolePage(admin, CAROL.username);
  assert.match(admin.url(), new RegExp(`/admin/users/${carol.sub}$`), 'the user page is at /admin/users/{sub}');
  const twoStep = main(admin).getByRole('region', { name: 'Two-step verification' });
  await twoStep.locator('#two-step-state').getByText('Off.', { exact: true }).waitFor();
  assert.equal(await twoStep.getByRole('button').count(), 0, 'carol has no authenticator: nothing to turn off');
  assert.equal(
    await main(admin).getByRole('button', { name: 'Send verification email' }).count(),
    0,
    "carol's address is verified: no verification mail to send",
  );
  const grants = main(admin).getByRole('region', { name: 'Grants' });
  const revokeButton = grants.getByRole('button', { name: `Revoke the grant to ${CLIENT_NAME}`, exact: true });
  await revokeButton.waitFor();
  const grantRow = grants
    .getByRole('row')
    .filter({ has: admin.getByRole('button', { name: `Revoke the grant to ${CLIENT_NAME}`, exact: true }) });
  const cells = await cellsByHeader(grantRow);
  console.log(`grant row: ${JSON.stringify(cells)}`);
  assert.equal(cells.Client, CLIENT_NAME);
  assert.equal(cells.Scopes, SCOPE, 'the granted scopes');
  assert.equal(cells['Refresh tokens'], '1', 'one live refresh token');
  // On a user's own page the grants table should leave out the "User" column; it shows it (and the
  // dialog says "user <id>" instead of the username) when the grants load before the user does.
  const raced = 'User' in cells;
  if (raced) deviations.push('user page: the grants table has a "User" column ("open user") linking to the same user');
  await main(admin).getByRole('region', { name: 'Sessions' }).getByRole('button', { name: /^End the session signed in/ }).waitFor();
  await screenshot(admin, 'console-user.png');

  // The dialog: focus inside, Escape closes it, focus back on the button that opened it.
  const dialog = admin.getByRole('dialog', { name: 'Revoke grant' });
  let dryRun = admin.waitForResponse((r) => /\/admin\/api\/v1\/grants\/[^/]+\/revoke\?dry_run=true$/.test(r.url()));
  await revokeButton.click();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Revoke grant' }).waitFor();
  assert.equal((await dryRun).status(), 200);
  const focus = await dialogFocus(admin);
  assert.ok(focus.inside, `focus is inside the open dialog: ${focus.focused}`);
  await admin.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await admin.locator('dialog[open]').count(), 0, 'Escape closed the dialog');
  assert.equal(
    await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    `Revoke the grant to ${CLIENT_NAME}`,
    'focus went back to the Revoke… button',
  );
  assert.equal(rp.backchannel.length, 0, 'a dry run tells no relying party');
  assert.equal((await asClient('/introspect', { token: carol.tokens.access_token })).body.active, true, 'a dry run revokes nothing');

  // Again, and this time confirm.
  dryRun = admin.waitForResponse((r) => /\/admin\/api\/v1\/grants\/[^/]+\/revoke\?dry_run=true$/.test(r.url()));
  await revokeButton.click();
  const counts = await (await dryRun).json();
  console.log(`dry run: ${JSON.stringify(counts)}`);
  assert.equal(counts.dry_run, true);
  assert.equal(counts.grants, 1, 'the dry run counts one grant');
  assert.equal(counts.refresh_tokens, 1, 'the dry run counts one refresh token');
  const sentence = dialog.locator('p.dialog-text');
  await sentence.waitFor();
  const text = await sentence.innerText();
  console.log(`dialog: ${JSON.stringify(text)}`);
  const subject = raced ? `user ${carol.sub}` : CAROL.username;
  if (raced) deviations.push(`revocation dialog: "Revoking the grant of user ${carol.sub} …" instead of "… of carol …"`);
  assert.ok(
    text.startsWith(`Revoking the grant of ${subject} to ${CLIENT_NAME} (${CLIENT_ID}) will revoke 1 grant, invalidate 1 refresh token`),
    'the dialog names the grant and the counts of the dry run',
  );
  assert.match(text, /\b1 grant\b/);
  assert.match(text, new RegExp(`\\b${counts.refresh_tokens} refresh tokens?\\b`));
  assert.match(text, new RegExp(`send ${counts.notification_count} back-channel logout notifications? to relying parties`));
  assert.match(text, /Access tokens already issued stop passing introspection at once/);
  assert.ok((await dialogFocus(admin)).inside, 'focus is inside the dialog again');
  assert.equal(await dialog.getByRole('button', { name: 'Cancel' }).count(), 1);
  await screenshot(admin, 'console-revoke-confirm.png', { viewport: true });

  const seq = rp.requests.at(-1)?.seq ?? 0;
  const committed = admin.waitForResponse((r) => /\/admin\/api\/v1\/grants\/[^/]+\/revoke$/.test(r.url()));
  await dialog.getByRole('button', { name: 'Revoke grant' }).click();
  const outcome = await (await committed).json();
  console.log(`revocation: ${JSON.stringify(outcome)}`);
  assert.equal(outcome.dry_run, false);
  assert.equal(outcome.grants, 1);
  assert.equal(outcome.refresh_tokens, counts.refresh_tokens);
  assert.equal(outcome.notifications.length, 1, 'one back-channel logout queued');
  await dialog.getByText(/^Done: revoked 1 grant/).waitFor();

  const propagation = dialog.getByRole('region', { name: 'Propagation to relying parties' });
  await propagation.getByRole('status').getByText('Back-channel logout: 1 delivered.').waitFor({ timeout: 20_000 });
  const row = propagation.getByRole('row').filter({ hasText: `${CLIENT_NAME} (${CLIENT_ID})` });
  await row.waitFor();
  const rowCells = await cellsByHeader(row);
  console.log(`propagation row: ${JSON.stringify(rowCells)}`);
  assert.equal(rowCells['Back-channel logout URI'], `${rp.url}/backchannel_logout`);
  assert.equal(rowCells.Status, 'delivered');
  assert.equal(rowCells.Attempts, '1', 'delivered at the first attempt');
  await dialog.getByRole('button', { name: 'Close' }).waitFor();
  await screenshot(admin, 'console-revoke-done.png', { viewport: true });
  revoked = true;

  // The relying party heard it: one POST with a well-formed logout token for carol.
  await waitUntil('back-channel logout POST', () => rp.backchannel.some((b) => b.seq > seq));
  await sleep(300); // would a duplicate follow?
  assert.equal(rp.backchannel.length, 1, 'one back-channel logout POST');
  const [post] = rp.backchannel;
  assert.equal(post.method, 'POST');
  assert.match(post.contentType ?? '', /^application\/x-www-form-urlencoded\b/);
  assert.deepEqual(post.params, ['logout_token']);
  const { header, claims } = await verifyJws(post.token, valet.url, 'logout_token');
  console.log(`logout token: ${JSON.stringify({ header, claims })}`);
  assert.equal(header.typ, 'logout+jwt');
  assert.equal(claims.iss, valet.url);
  assert.equal(claims.aud, CLIENT_ID);
  assert.equal(claims.sub, carol.sub);
  assert.deepEqual(claims.events, { [BACKCHANNEL_EVENT]: {} });
  assert.equal('nonce' in claims, false);

  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const focused = await admin.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  console.log(`focus after closing: ${focused}`);
  assert.ok(
    await admin.evaluate(() => document.activeElement && document.activeElement !== document.body),
    'focus went somewhere after closing, not to <body>',
  );
  await grants.getByRole('button', { name: `Revoke the grant to ${CLIENT_NAME}`, exact: true }).waitFor({ state: 'detached' });
  console.log(`grants after the revocation: ${JSON.stringify(await grants.innerText())}`);
});

test('after the revocation the refresh token fails with invalid_grant and introspection answers active: false', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(revoked, 'runs after the revocation');
  const refresh = await asClient('/token', { grant_type: 'refresh_token', refresh_token: carol.tokens.refresh_token });
  console.log(`refresh: ${refresh.status} ${JSON.stringify(refresh.body)}`);
  assert.equal(refresh.status, 400);
  assert.equal(refresh.body.error, 'invalid_grant');

  const introspection = await asClient('/introspect', { token: carol.tokens.access_token });
  console.log(`introspection: ${introspection.status} ${JSON.stringify(introspection.body)}`);
  assert.equal(introspection.status, 200);
  assert.deepEqual(introspection.body, { active: false });
});

test('the keys and audit log pages show the schedule and what the administrator did', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(admin, 'runs after the sign-in test');
  await goTo(admin, 'Keys', 'Signing keys');
  const keyRows = main(admin).locator('tbody tr');
  const algs = (await keyRows.locator('td:nth-child(2)').allInnerTexts()).toSorted();
  console.log(`keys: ${JSON.stringify(await keyRows.allInnerTexts())}`);
  assert.deepEqual([...new Set(algs)], ['ES256', 'EdDSA', 'PS256', 'RS256'], 'a key per configured algorithm');
  await main(admin).getByRole('button', { name: 'Rotate keys…' }).waitFor();
  await screenshot(admin, 'console-keys.png');

  await goTo(admin, 'Audit log', 'Audit log');
  await main(admin).getByRole('form', { name: 'Filter the audit log' }).waitFor();
  const events = await main(admin).locator('tbody tr').allInnerTexts();
  console.log(`audit: ${JSON.stringify(events.slice(0, 6))}`);
  const byAdmin = events.filter((e) => e.includes(`user:${adminSub}`));
  assert.ok(byAdmin.some((e) => /\bclient\.created\b/.test(e) && e.includes(`client ${CLIENT_ID}`)), 'client.created by admin');
  assert.ok(byAdmin.some((e) => /\bgrants\.revoked\b/.test(e)), 'grants.revoked by admin');
  await screenshot(admin, 'console-audit.png');

  // The overview again: the counts moved and the failed deliveries are none.
  await goTo(admin, 'Overview', 'Overview');
  assert.equal(
    liveGrants(await main(admin).locator('.counts').innerText()),
    liveGrantsAtStart,
    "carol's grant no longer counts (the administrator's own grant to the console does)",
  );
  await main(admin).getByText('None: every relying party was reached.').waitFor();

  assert.deepEqual(problems.filter((p) => p.startsWith('pageerror')), [], 'no uncaught exception in the console');
});

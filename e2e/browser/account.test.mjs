// A headless Chromium (Debian `chromium`, driven by playwright-core) uses Valet's account pages as a
// person would, with mail delivered over SMTP to a real SMTP server on 127.0.0.1 (the
// `valet-mail-sink` binary, which writes every message it receives to a directory):
//   1. verifies their email address from the link in the real mail;
//   2. enrols TOTP two-step verification, reading the secret from the page and computing codes;
//   3. signs in to a relying party with password + code (the ID token's amr has pwd and otp);
//   4. revokes that app on /account, after which the relying party's refresh fails;
//   5. resets a forgotten password from the real mail, which signs out the other sessions and
//      kills the relying party's refresh token bound to one of them.
//
//   VALET_BIN=/path/to/valet VALET_MAIL_SINK_BIN=/path/to/valet-mail-sink node --test e2e/browser/account.test.mjs
//
// Screenshots land in e2e/browser/artifacts/account-*.png (git-ignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  TEST_TIMEOUT,
  START_TIMEOUT,
  sleep,
  screenshot,
  startValet,
  stopValet,
  startRp,
  launchBrowser,
  newContext,
  openLogin,
  fillLogin,
  signIn,
} from './support.mjs';

const MAIL_SINK_BIN =
  process.env.VALET_MAIL_SINK_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/valet-target'), 'debug/valet-mail-sink');
const CLIENT_ID = 'photos';
const CLIENT_NAME = 'Photos';
const CLIENT_SECRET = crypto.randomBytes(32).toString('base64url');
const USER = { username: 'dana', password: 'dana-first-passphrase', email: 'dana@example.com' };
const NEW_PASSWORD = 'quiet harbour lanterns';
// A relying party that registered default_acr_values ["2"], and a user without an authenticator.
const STRICT = { id: 'vault', name: 'Vault', secret: crypto.randomBytes(32).toString('base64url') };
const WALTER = { username: 'walter', password: 'walter-first-passphrase' };

let sink; // { process, dir, url, seen }
let valet;
let rp;
let strictRp;
let browser;
let account; // the browser context signed in on /account
let accountPage;

// ---------------------------------------------------------------------------------------------
// The SMTP server and its mailbox directory

async function startSink() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'valet-mail-'));
  assert.ok(fs.existsSync(MAIL_SINK_BIN), `valet-mail-sink not found at ${MAIL_SINK_BIN} (set VALET_MAIL_SINK_BIN)`);
  const child = spawn(MAIL_SINK_BIN, ['--listen', '127.0.0.1:0', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`valet-mail-sink exited (${code})`)));
  });
  return { process: child, dir, url: `smtp://${address}?tls=none`, seen: new Set() };
}

/** The next message to `to` not read before: its decoded JSON form (subject, text, html). */
async function nextMail(to, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const files = fs.readdirSync(sink.dir).filter((f) => f.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b));
    for (const file of files) {
      if (sink.seen.has(file)) continue;
      const mail = JSON.parse(fs.readFileSync(path.join(sink.dir, file), 'utf8'));
      if (mail.to.some((t) => t.toLowerCase() === to)) {
        sink.seen.add(file);
        return mail;
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeout} ms`);
    await sleep(100);
  }
}

const linkIn = (mail, prefix) => {
  const found = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
  assert.ok(found, `a link starting with ${prefix} in:\n${mail.text}`);
  return found;
};

// ---------------------------------------------------------------------------------------------
// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes it

function totp(base32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...base32.toUpperCase().replace(/=+$/, '')]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0'))
    .join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  sink = await startSink();
  rp = await startRp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: 'openid profile email',
    issuer: () => valet.url,
  });
  strictRp = await startRp({
    clientId: STRICT.id,
    clientSecret: STRICT.secret,
    scope: 'openid',
    issuer: () => valet.url,
  });
  valet = await startValet({
    provisioning: `
[[clients]]
client_id = "${CLIENT_ID}"
client_name = "${CLIENT_NAME}"
client_secret = "${CLIENT_SECRET}"
redirect_uris = ["${rp.url}/callback"]
grant_types = ["authorization_code", "refresh_token"]
always_issue_refresh_token = true
scope = "openid profile email"

[[clients]]
client_id = "${STRICT.id}"
client_name = "${STRICT.name}"
client_secret = "${STRICT.secret}"
redirect_uris = ["${strictRp.url}/callback"]
default_acr_values = ["2"]

[[users]]
username = "${WALTER.username}"
password = "${WALTER.password}"

[[users]]
username = "${USER.username}"
password = "${USER.password}"
claims = { name = "Dana Scully", email = "${USER.email}" }
`,
    env: { VALET_MAIL_URL: sink.url },
  });
  browser = await launchBrowser();
  account = await newContext(browser);
  accountPage = await account.newPage();
}, { timeout: START_TIMEOUT });

after(async () => {
  await browser?.close();
  await stopValet(valet);
  await rp?.close();
  await strictRp?.close();
  sink?.process.kill('SIGTERM');
  if (sink) fs.rmSync(sink.dir, { recursive: true, force: true });
});

/** Signs in on Valet's login page the browser is on (the account pages' or a relying party's). */
async function passwordStep(page, password) {
  assert.match(await page.title(), /Sign in/);
  await fillLogin(page, USER.username, password);
  await signIn(page);
}

test('a user verifies their email address from the link in the real mail', { timeout: TEST_TIMEOUT }, async () => {
  const page = accountPage;
  await page.goto(`${valet.url}/account`);
  await passwordStep(page, USER.password);
  await page.waitForURL(`${valet.url}/account`);
  assert.match(await page.locator('#email-status').innerText(), /not verified yet/);
  await page.getByRole('button', { name: 'Send a verification link' }).click();
  await page.waitForURL(/done=verification/);

  const mail = await nextMail(USER.email);
  assert.match(mail.subject, /confirm your email/i);
  const link = linkIn(mail, `${valet.url}/account/verify/`);
  const mailbox = await account.newPage();
  await mailbox.goto(link);
  await screenshot(mailbox, 'account-verify.png');
  await mailbox.getByRole('button', { name: 'Verify my email address' }).click();
  await mailbox.getByRole('heading', { name: 'Your email address is verified' }).waitFor();
  await mailbox.close();

  await page.goto(`${valet.url}/account`);
  assert.match(await page.locator('#email-status').innerText(), /is verified/);
});

let secret; // base32, read from the enrolment page

test('the user enrols an authenticator app, reading the secret from the page', { timeout: TEST_TIMEOUT }, async () => {
  const page = accountPage;
  await page.locator('#setup_password').fill(USER.password); // a borrowed session cannot do this
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  secret = (await page.locator('#totp-secret').innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await screenshot(page, 'account-enrol.png');
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  assert.equal(await page.locator('#recovery-codes li').count(), 10);
  await page.getByRole('link', { name: 'Back to your account' }).click();
  assert.match(await page.locator('#mfa-status').innerText(), /^On/);
  await screenshot(page, 'account-overview.png');
});

test('signing in to a relying party asks for the password and a code; amr has pwd and otp', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await openLogin(page, rp.url, valet.url);
  await passwordStep(page, USER.password);
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  await page.getByLabel('Verification code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').waitFor();
  // The enrolment used this step's code; the next step's is within the accepted window.
  await page.getByLabel('Verification code').fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([allow.waitFor(), page.waitForURL(`${rp.url}/callback**`)]);
  if (page.url().startsWith(valet.url)) await allow.click();
  await page.waitForURL(`${rp.url}/callback**`);
  await page.locator('#who').waitFor();
  const { idClaims, tokens } = rp.signIns.at(-1);
  assert.deepEqual([...idClaims.amr].sort(), ['otp', 'pwd']);
  assert.equal(idClaims.acr, '2');
  assert.ok(tokens.refresh_token, 'the relying party holds a refresh token');
  await context.close();
});

test('a relying party that requires two-step verification has it set up during the sign-in', { timeout: TEST_TIMEOUT }, async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await openLogin(page, strictRp.url, valet.url);
  await fillLogin(page, WALTER.username, WALTER.password);
  await signIn(page);
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const walterSecret = (await page.locator('#totp-secret').innerText()).trim();
  await page.getByLabel('Code from the app').fill('000000');
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await page.getByRole('alert').waitFor();
  await page.getByLabel('Code from the app').fill(totp(walterSecret));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await page.locator('#recovery-codes').waitFor();
  assert.equal(await page.locator('#recovery-codes li').count(), 10, 'the recovery codes, once');
  await screenshot(page, 'signin-enrolled.png');
  // The way on redirects to the relying party: the page's CSP must let the form go there.
  await page.getByRole('button', { name: `Continue to ${STRICT.name}` }).click();
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([allow.waitFor(), page.waitForURL(`${strictRp.url}/callback**`)]);
  if (page.url().startsWith(valet.url)) await allow.click();
  await page.waitForURL(`${strictRp.url}/callback**`);
  await page.locator('#who').waitFor();
  const { idClaims } = strictRp.signIns.at(-1);
  assert.deepEqual([...idClaims.amr].sort(), ['otp', 'pwd']);
  assert.equal(idClaims.acr, '2');
  await context.close();
});

test('revoking the app on /account makes its refresh fail', { timeout: TEST_TIMEOUT }, async () => {
  // Until then the relying party's refresh works (the openidconnect crate's refresh grant).
  const working = await (await fetch(`${rp.url}/refresh`)).text();
  assert.match(working, /<p id="refreshed">/, working);
  const page = accountPage;
  await page.goto(`${valet.url}/account`);
  const apps = page.locator('#apps');
  assert.match(await apps.innerText(), new RegExp(CLIENT_NAME));
  await page.getByRole('button', { name: `Revoke access of ${CLIENT_NAME}` }).click();
  await page.waitForURL(/done=revoked/);
  assert.equal(await page.locator('#apps').count(), 0, 'no app listed any more');
  await screenshot(page, 'account-revoked.png');
  const refresh = await (await fetch(`${rp.url}/refresh`)).text();
  assert.match(refresh, /<p id="error">error=invalid_grant<\/p>/);
});

test('a password reset from the real mail signs out the other sessions', { timeout: TEST_TIMEOUT }, async () => {
  // The account page's session signs in to the relying party again (single sign-on; consent is
  // asked again, since the grant was revoked): its refresh token is bound to that session.
  await accountPage.goto(`${rp.url}/start`);
  const allow = accountPage.getByRole('button', { name: 'Allow' });
  await Promise.race([allow.waitFor(), accountPage.waitForURL(`${rp.url}/callback**`)]);
  if (accountPage.url().startsWith(valet.url)) await allow.click();
  await accountPage.waitForURL(`${rp.url}/callback**`);
  await accountPage.locator('#who').waitFor();
  const before = await (await fetch(`${rp.url}/refresh`)).text();
  assert.match(before, /<p id="refreshed">/, before);

  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${valet.url}/account/forgot`);
  await page.getByLabel('Username or email').fill(USER.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  const mail = await nextMail(USER.email);
  const link = linkIn(mail, `${valet.url}/account/reset/`);
  await page.goto(link);
  await page.getByLabel(/New password/).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('heading', { name: 'Your password is changed' }).waitFor();
  await screenshot(page, 'account-reset.png');
  await context.close();

  // The session that was open on /account is gone: the page asks to sign in again, and the
  // relying party's refresh token, bound to it, is dead.
  await accountPage.goto(`${valet.url}/account`);
  assert.match(accountPage.url(), new RegExp(`^${valet.url}/authorize\\?`));
  assert.match(await accountPage.title(), /Sign in/);
  const after = await (await fetch(`${rp.url}/refresh`)).text();
  assert.match(after, /<p id="error">error=invalid_grant<\/p>/, after);
});

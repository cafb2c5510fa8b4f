// The chat web app in Debian's Chromium, driven by playwright-core, against a real stack
// (tests/test_web.py starts it): two people in two browser contexts. A failing scenario
// leaves a screenshot of both pages in .parley/web-tests/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { ARTIFACTS, BASE_URL, PASSWORD, room, signedIn, stackPids, uniqueName, until } from './support.mjs';

const DELIVERY_BUDGET_MS = 1000;
let browser, ada, bob, pageA, pageB;

before(async () => {
  ada = await signedIn('ada');
  bob = await signedIn('bob');
  await room(ada, [bob]);
  // launch() gives Chromium a fresh, empty --user-data-dir of its own and removes it at close.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  try {
    const started = Date.now();
    pageA = await logIn(ada.username);
    pageB = await logIn(bob.username);
    console.log(`two pages logged in and connected: ${Date.now() - started} ms`);
  } catch (error) {
    await photograph('log-in');
    throw error;
  }
});

after(async () => {
  await browser?.close();
});

async function logIn(username) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${username}] page error: ${error.message}`));
  await page.goto(BASE_URL + '/');
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: '#general' }).click();
  return page;
}

/** Screenshots of every open page, for a failure. */
async function photograph(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const stem = join(ARTIFACTS, name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  const pages = browser ? browser.contexts().flatMap((context) => context.pages()) : [];
  for (const [index, page] of pages.entries()) {
    const path = `${stem}-${index + 1}.png`;
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    console.error(`screenshot: ${path}`);
  }
}

/** Runs a scenario; when it fails, the pages are photographed first. */
function scenario(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      await photograph(name);
      throw error;
    }
  });
}

const messages = (page) => page.getByRole('list', { name: 'Messages' });
const items = (page) => messages(page).getByRole('listitem');

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

async function texts(page) {
  return messages(page).locator('.text').allTextContents();
}

scenario('a message in a channel reaches the other page within a second', async () => {
  await pageReady();
  // The stack's first message warms its paths (first write, first fan-out); then each
  // message is timed from the click to its list item in the other page, on one clock.
  await send(pageA, 'warming up');
  await items(pageB).filter({ hasText: 'warming up' }).waitFor();
  const timings = [];
  for (const text of ['hello bob', 'second hello', 'third hello']) {
    await pageB.evaluate(watchFor, text);
    await pageA.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
    const clicked = Date.now();
    await pageA.getByRole('button', { name: 'Send', exact: true }).click();
    const arrived = await pageB.evaluate(() => window.__parleyArrival);
    timings.push(arrived - clicked);
  }
  console.log(`delivery to the other page (ms): ${timings.join(', ')}`);
  assert.ok(Math.max(...timings) < DELIVERY_BUDGET_MS, `took ${timings.join(', ')} ms`);
  await items(pageA).filter({ hasText: 'third hello' }).and(pageA.locator('[data-state="acknowledged"]')).waitFor();
});

/** In the page: resolves `window.__parleyArrival` with the time `text` shows in the list. */
function watchFor(text) {
  window.__parleyArrival = new Promise((resolve) => {
    const shown = () => [...document.querySelectorAll('ul[aria-label="Messages"] .text')].some((e) => e.textContent === text);
    new MutationObserver((_, observer) => {
      if (shown()) {
        observer.disconnect();
        resolve(Date.now());
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

async function pageReady() {
  for (const page of [pageA, pageB]) await page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
}

scenario('typing and presence show on the other page', async () => {
  await pageB.getByText(`Online:`).filter({ hasText: ada.username }).waitFor();
  await pageA.getByText(`Online:`).filter({ hasText: bob.username }).waitFor();
  await pageA.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('typing a reply');
  await pageB.getByText(`${ada.username} is typing…`).waitFor();
  await pageA.getByRole('textbox', { name: 'Message', exact: true }).fill('');
});

scenario('a direct message goes both ways', async () => {
  const start = pageA.getByRole('form', { name: 'Start conversation' });
  await start.getByRole('textbox', { name: 'Username to message' }).fill(bob.username);
  await start.getByRole('button', { name: 'Start conversation' }).click();
  await pageA.getByRole('heading', { name: `@${bob.username}` }).waitFor();
  await send(pageA, 'a private hello');
  const dms = pageB.getByRole('navigation', { name: 'Direct messages' });
  await dms.getByRole('link', { name: `@${ada.username}` }).click();
  await items(pageB).filter({ hasText: 'a private hello' }).waitFor();
  await send(pageB, 'a private answer');
  await items(pageA).filter({ hasText: 'a private answer' }).waitFor();
  await items(pageA).filter({ hasText: 'a private hello' }).filter({ hasText: 'Read by' }).waitFor();
  for (const page of [pageA, pageB]) {
    await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: '#general' }).click();
  }
});

scenario('@AI help is answered by the assistant', async () => {
  await pageReady();
  await send(pageA, '@AI help');
  for (const page of [pageA, pageB]) {
    await items(page).filter({ has: page.locator('.author', { hasText: /^assistant$/ }) }).first().waitFor({ timeout: 30_000 });
  }
});

scenario('an HTML or script payload is shown as text and never runs', async () => {
  const payload = `<img src=x onerror="window.__xss='img'"><script>window.__xss='script'</script><b>bold</b>`;
  await send(pageA, payload);
  await items(pageB).filter({ hasText: payload }).waitFor();
  for (const page of [pageA, pageB]) {
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await messages(page).locator('img, script, b').count(), 0);
    assert.ok((await texts(page)).includes(payload));
  }
});

scenario('someone new registers with the Register button and is signed in', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(BASE_URL + '/');
    const form = page.getByRole('form', { name: 'Log in' });
    const username = uniqueName('cy');
    await form.getByLabel('Username').fill(username);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.getByText(`Signed in as ${username}`).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('form', { name: 'Log in' }).waitFor();
  } finally {
    await context.close();
  }
});

/** The item of `page`'s list whose own text is `text`. */
function item(page, text) {
  return items(page).filter({ has: page.locator('.text', { hasText: new RegExp(`^${text}$`) }) });
}

scenario('replies, reactions, edits and deletes show on both pages', async () => {
  await pageReady();
  await send(pageA, 'to be changed');
  await item(pageB, 'to be changed').getByRole('button', { name: 'Reply' }).click();
  await pageB.getByText(`Replying to ${ada.username}: to be changed`).waitFor();
  await send(pageB, 'a reply');
  await item(pageA, 'a reply').filter({ hasText: `reply to ${ada.username}: to be changed` }).waitFor();
  await item(pageA, 'to be changed').filter({ hasText: '1 reply' }).waitFor();

  await item(pageB, 'to be changed').getByRole('button', { name: 'React 👍' }).click();
  await item(pageA, 'to be changed').getByRole('button', { name: '👍 1', pressed: false }).waitFor();
  await item(pageB, 'to be changed').getByRole('button', { name: '👍 1', pressed: true }).waitFor();
  await item(pageA, 'to be changed').getByRole('button', { name: '👍 1' }).click();
  for (const page of [pageA, pageB]) await item(page, 'to be changed').getByRole('button', { name: '👍 2', pressed: true }).waitFor();
  await item(pageB, 'to be changed').getByRole('button', { name: '👍 2' }).click();
  await item(pageA, 'to be changed').getByRole('button', { name: '👍 1', pressed: true }).waitFor();

  assert.equal(await item(pageB, 'to be changed').getByRole('button', { name: 'Edit' }).count(), 0, "not bob's to edit");
  await item(pageA, 'to be changed').getByRole('button', { name: 'Edit' }).click();
  const edit = pageA.getByRole('form', { name: 'Edit message' });
  await edit.getByRole('textbox', { name: 'Edited message' }).fill('changed for good');
  await edit.getByRole('button', { name: 'Save' }).click();
  for (const page of [pageA, pageB]) await item(page, 'changed for good').filter({ hasText: '(edited)' }).waitFor();

  await item(pageB, 'a reply').getByRole('button', { name: 'Delete' }).click();
  for (const page of [pageA, pageB]) {
    await item(page, '\\(deleted\\)').waitFor();
    assert.equal(await item(page, 'a reply').count(), 0);
  }
});

scenario("a channel's unread badge counts what came before the page saw it, and clears when opened", async () => {
  await pageA.getByRole('textbox', { name: 'Channel name' }).fill('random');
  await pageA.getByRole('button', { name: 'Create channel' }).click();
  await pageA.getByRole('heading', { name: '#random' }).waitFor();
  await send(pageA, 'news in random');
  await item(pageA, 'news in random').and(pageA.locator('[data-state="acknowledged"]')).waitFor();
  // Bob's page learns of the channel on its next look (every 10 s): the message is older
  // than his join, so only the server's count can show it.
  const channels = pageB.getByRole('navigation', { name: 'Channels' });
  const random = channels.getByRole('listitem').filter({ has: pageB.getByRole('link', { name: '#random' }) });
  await random.getByText('1 unread').waitFor({ timeout: 30_000 });
  await channels.getByRole('link', { name: '#random' }).click();
  await item(pageB, 'news in random').waitFor();
  assert.equal(await random.getByText('unread').count(), 0);
  for (const page of [pageA, pageB]) {
    await page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: '#general' }).click();
    await page.getByRole('heading', { name: '#general' }).waitFor();
  }
});

scenario('the edge is killed and restarted: both pages reconnect, nothing lost or doubled', async () => {
  const before = await texts(pageB);
  const killedAt = Date.now();
  process.kill(stackPids().edge, 'SIGKILL');
  for (const page of [pageA, pageB]) await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
  await send(pageA, 'sent while the edge was down');
  await items(pageA).filter({ hasText: 'sent while the edge was down' }).and(pageA.locator('[data-state="pending"]')).waitFor();
  // The launcher starts the edge again after its backoff; the pages find it by themselves.
  for (const page of [pageA, pageB]) await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
  console.log(`both pages connected again ${Date.now() - killedAt} ms after the kill`);
  await items(pageB).filter({ hasText: 'sent while the edge was down' }).waitFor({ timeout: 30_000 });
  await items(pageA).filter({ hasText: 'sent while the edge was down' }).and(pageA.locator('[data-state="acknowledged"]')).waitFor();
  await send(pageB, 'and after it came back');
  await items(pageA).filter({ hasText: 'and after it came back' }).waitFor();
  const expected = [...before, 'sent while the edge was down', 'and after it came back'];
  await until(async () => (await texts(pageB)).length === expected.length, { what: "bob's list to settle" });
  assert.deepEqual(await texts(pageB), expected);
  assert.deepEqual(await texts(pageA), expected);
});

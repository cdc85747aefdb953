/**
 * The observer page in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): it lists three nodes the test starts, shows a supervision tree,
 * follows a process's mailbox as the test sends it messages, and shows a crash as a
 * restart. A screenshot of each view is written to build/observer-screenshots/ (and to
 * packages/observer/docs/ with GROVE_UPDATE_SCREENSHOTS=1, for the README).
 *
 * Skipped, with a message, where no Chromium is installed (`apt-get install chromium`;
 * .ci/run installs it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Application, cast, startApplication, startLinkSupervisor, type Pid, type ProcessContext } from '@grove/core';
import { globalOf } from '@grove/distribution';
import { start, type Observer } from '@grove/observer';
import * as pg from '@grove/pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Box, node, stopNodes } from './helpers';

/** The page's document, as the functions run in the browser see it (the tests compile without the DOM's types). */
declare const document: {
  querySelectorAll(selector: string): { readonly length: number };
  querySelector(selector: string): { readonly textContent: string | null; getAttribute(name: string): string | null } | null;
};

const CHROMIUM = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p !== undefined && fs.existsSync(p));
const SHOTS = [path.join(__dirname, '..', '..', '..', 'build', 'observer-screenshots'), ...(process.env['GROVE_UPDATE_SCREENSHOTS'] === '1' ? [path.join(__dirname, '..', 'docs')] : [])];

class Shop extends Application {
  start(ctx: ProcessContext): Promise<Pid> {
    return startLinkSupervisor(ctx, {
      flags: { intensity: 10 },
      children: [
        Box.childSpec(undefined, { id: 'till', name: 'till' }),
        { id: 'stockroom', type: 'supervisor', start: (p) => startLinkSupervisor(p, { children: [Box.childSpec(undefined, { id: 'shelf' })] }) },
      ],
    });
  }
}

let observer: Observer | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await observer?.close();
  await stopNodes();
});

async function shot(page: Page, name: string): Promise<void> {
  for (const dir of SHOTS) {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  }
}

async function view(page: Page, name: string, nodeName: string): Promise<void> {
  await page.selectOption('#node-select', nodeName);
  await page.click(`nav button[data-view="${name}"]`);
}

if (CHROMIUM === undefined) {
  // eslint-disable-next-line no-console
  console.warn('observer browser test skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
}

(CHROMIUM === undefined ? describe.skip : describe)('the observer page in Chromium', () => {
  it('lists three nodes, draws a supervision tree, follows a mailbox, and shows a crash as a restart', async () => {
    const [a, b, c] = [await node('alpha'), await node('beta'), await node('gamma')];
    expect(await a.connect(b.name)).toBe(true);
    expect(await a.connect(c.name)).toBe(true);
    await startApplication(b.node, Shop);
    const stuck = c.node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'never');
    });
    c.node.register('stuck', stuck);
    const till = b.node.whereis('till')!;
    const keeper = c.node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'never');
    });
    expect(await globalOf(c).registerName('the-keeper', keeper)).toBe(true);
    await pg.start(c.node, 'shops');
    await pg.join(c.node, 'shops', 'tills', keeper);

    const obs = await node('observer', true);
    // Only alpha is given: the observer finds beta and gamma through it.
    observer = await start(obs, { connect: [a.name], intervalMs: 250, allowWrite: true });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    await page.goto(observer.url);

    // Nodes: the three, and none of them the observer (hidden).
    await page.waitForFunction((n) => document.querySelectorAll('#nodes-table tr[data-node]').length === n, 3);
    const listed = await page.$$eval('#nodes-table tr[data-node]', (rows) => rows.map((r) => r.getAttribute('data-node')));
    expect(listed.sort()).toEqual([a.name, b.name, c.name].sort());
    await page.waitForFunction(() => document.querySelectorAll('#chart-rates .u-over').length === 1);
    await shot(page, 'nodes');

    // Processes of gamma: the stuck process's mailbox follows what the test sends.
    await view(page, 'processes', c.name);
    const mailbox = page.locator('#procs-table tr[data-name="stuck"] td.mailbox');
    await mailbox.waitFor();
    expect(await mailbox.textContent()).toBe('0');
    for (let i = 0; i < 5; i++) c.node.send(stuck, { n: i });
    await page.waitForFunction(() => document.querySelector('#procs-table tr[data-name="stuck"] td.mailbox')?.textContent === '5');
    await page.click('#procs-table tr[data-name="stuck"]');
    await page.locator('#detail h3').filter({ hasText: 'stuck' }).waitFor();
    await page.fill('#filter', 'stu');
    await page.waitForFunction(() => document.querySelectorAll('#procs-table tbody tr').length === 1);
    await shot(page, 'processes');
    // Send, then kill, each behind a confirmation (the send first asks for the message).
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'prompt' ? d.accept('{"hello": "from the page"}') : d.accept());
    });
    await page.click('#send-button');
    await page.waitForFunction(() => document.querySelector('#procs-table tr[data-name="stuck"] td.mailbox')?.textContent === '6');
    await page.click('#kill-button');
    await page.waitForFunction(() => document.querySelectorAll('#procs-table tr[data-name="stuck"]').length === 0);
    expect(c.node.isAlive(stuck)).toBe(false);
    expect(dialogs).toEqual([
      expect.stringMatching(/^prompt: Message to send to #PID<gamma/),
      expect.stringMatching(/^confirm: Send \{"hello": "from the page"\} to #PID<gamma/),
      expect.stringMatching(/^confirm: Kill #PID<gamma.* on gamma/),
    ]);
    page.removeAllListeners('dialog');

    // A server's last messages, traced on demand (read-only: no confirmation).
    await page.fill('#filter', '');
    await view(page, 'processes', b.name);
    await page.click('#procs-table tr[data-name="till"]');
    await page.locator('#trace-button').filter({ hasText: 'Trace (' }).waitFor();
    await page.click('#trace-button');
    await page.locator('#trace-button').filter({ hasText: 'Stop trace' }).waitFor();
    for (let i = 0; i < 3; i++) cast(b.node, undefined, till, 'put');
    await page.waitForFunction(() => document.querySelectorAll('#trace-events li[data-type="in"]').length === 3);
    expect(await page.textContent('#trace-events')).toContain('put');
    await shot(page, 'trace');

    // Applications of beta: the tree, and a killed child shown restarted.
    await view(page, 'applications', b.name);
    const tillItem = page.locator('.app[data-app="Shop"] li[data-child-id="till"]');
    await tillItem.waitFor();
    expect(await tillItem.getAttribute('data-restarts')).toBe('0');
    await page.locator('.app[data-app="Shop"] li[data-child-id="shelf"]').waitFor();
    await page.locator('.app[data-app="kernel"] li[data-child-id="grove_introspect"]').waitFor();
    b.node.exit(till, 'boom');
    await page.waitForFunction(() => document.querySelector('.app[data-app="Shop"] li[data-child-id="till"]')?.getAttribute('data-restarts') === '1');
    await page.waitForFunction(() => document.querySelectorAll('#crash-table tbody tr').length === 1);
    expect(await page.textContent('#crash-table tbody')).toContain('boom');
    await shot(page, 'applications');

    await view(page, 'global', a.name);
    await page.locator('#global-table tr[data-global="the-keeper"]').waitFor();
    await shot(page, 'global');
    await view(page, 'pg', c.name);
    await page.locator('[data-scope="shops"] tr[data-group="tills"]').waitFor();
    await shot(page, 'pg');
  }, 60_000);
});

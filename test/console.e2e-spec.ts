import { expect } from '@jest/globals';
import type { Page } from 'playwright-core';
import { type Tether, TestFloor, startTether } from '@tether/testing';
import { ConsoleBrowser } from './support/console-browser';

/** The part of a browser's canvas the reports test reads (the test's types know no DOM). */
interface PlotCanvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/**
 * The web console (/console on the admin app) in a real headless Chromium, against a real Tether: what a person
 * does, by clicking, and what the system then holds, by its public API.
 */
describe('console', () => {
  let tether: Tether;
  let floor: TestFloor;
  let browser: ConsoleBrowser;
  let page: Page;

  beforeAll(async () => {
    // one after the other: both are heavy starts on a loaded machine
    tether = await startTether({ startTimeoutMs: 90_000 });
    floor = new TestFloor(tether);
    browser = await ConsoleBrowser.launch();
  }, 150_000);
  beforeEach(async () => {
    page = await browser.page();
  });
  afterEach(async () => {
    await page?.close().catch(() => undefined);
    await floor?.clear();
  });
  afterAll(async () => {
    await browser?.close();
    await tether?.stop();
  });

  const open = async (view: string) => {
    await page.goto(`${tether.urls.admin}/console/#/${view}`);
  };
  const signIn = async (kind: 'agent' | 'staff', token: string) => {
    const form = page.getByTestId(`sign-in-${kind}`);
    await form.locator('input[name=token]').fill(token);
    await form.getByRole('button', { name: 'Sign in' }).click();
  };

  it('is served at /console without a token, with its modules and config, and nothing else is opened up', async () => {
    const index = await fetch(`${tether.urls.admin}/console/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<script type="importmap">');
    const config = (await (await fetch(`${tether.urls.admin}/console/config.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(config).toEqual({ gatewayUrl: null, gatewayPort: Number(new URL(tether.urls.gateway).port) });
    for (const vendored of ['preact.module.js', 'socket.io.esm.min.js', 'uPlot.esm.js'])
      expect((await fetch(`${tether.urls.admin}/console/vendor/${vendored}`)).status).toBe(200);
    // positive control: the REST API beside it still wants the token
    expect((await fetch(`${tether.urls.admin}/v1/agents`)).status).toBe(401);
    // and the static files reach nothing outside the console's directory
    const escape = await fetch(`${tether.urls.admin}/console/%2e%2e/%2e%2e/src/main.js`);
    expect(escape.status).toBeGreaterThanOrEqual(400);
  });

  it('agent desk: sign in, go available, an offer for a signed call shows the customer and the timer; accept, complete', async () => {
    const agent = await floor.agent({ lines: ['sales'], name: 'Desk Agent', connect: false });
    await browser.step(page, 'agent-desk', async () => {
      await open('desk');
      await signIn('agent', agent.token);
      await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
      await page.getByTestId('status-available').click();
      await page.getByTestId('presence').filter({ hasText: 'available' }).waitFor();

      const call = await floor.call('sales', { ivr: { intent: 'billing' } });
      const offer = page.locator(`[data-testid=offer][data-contact-id="${call.contactId}"]`);
      await offer.waitFor();
      expect(await offer.getByTestId('offer-timer').textContent()).toMatch(/^\d+:\d\d$/);
      expect(await offer.getByTestId('customer-card').textContent()).toContain('billing');

      await offer.getByTestId('offer-accept').click();
      const held = page.locator(`[data-testid=held-contact][data-contact-id="${call.contactId}"]`);
      await held.waitFor();
      await expect(offer.count()).resolves.toBe(0);
      expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('connected');

      await held.getByTestId('complete-resolution').selectOption('follow_up');
      await held.getByTestId('complete-notes').fill('wants the invoice again');
      await held.getByTestId('complete').click();
      await held.waitFor({ state: 'detached' });

      const customer = await floor.admin.getCustomer(call.customer.id);
      expect(customer.contacts[0]).toEqual(
        expect.objectContaining({
          id: call.contactId,
          agentId: agent.agentId,
          resolution: 'follow_up',
          notes: 'wants the invoice again',
        }),
      );
      expect((await floor.line('sales').getCall(call.callId)).body.status).toBe('ended');
    });
  });

  it('agent desk: a token the gateway refuses is shown, not a blank page', async () => {
    await browser.step(page, 'agent-refused', async () => {
      await open('desk');
      await signIn('agent', 'not-a-token');
      await page.getByTestId('connection').filter({ hasText: 'refused' }).waitFor();
      expect(await page.getByTestId('refusal').textContent()).toMatch(/token/i);
    });
  });

  it('supervisor board: the roster with presence as it changes, and the waiting contacts', async () => {
    const watched = await floor.agent({ lines: ['presales'], name: 'Watched Agent' });
    await browser.step(page, 'supervisor-board', async () => {
      await open('board');
      await signIn('staff', tether.adminToken);
      await page.getByTestId('board-connection').filter({ hasText: 'connected' }).waitFor();
      const row = page.locator(`[data-testid=board-agent][data-agent-id="${watched.agentId}"]`);
      await row.getByTestId('agent-state').filter({ hasText: 'available' }).waitFor();

      // pushed: the agent goes away on their own desk, the board follows without a reload
      expect((await watched.setStatus('away')).ok).toBe(true);
      await row.getByTestId('agent-state').filter({ hasText: 'away' }).waitFor();

      // nobody available on presales: the call waits, and the board lists it
      const call = await floor.call('presales');
      await page.locator(`[data-testid=waiting-contact][data-contact-id="${call.contactId}"]`).waitFor();
    });
  });

  it('supervisor board (live view): force-assign offers a waiting contact to the chosen agent', async () => {
    // the contact waits for a billing 7 the agent lacks: only a supervisor's force-assign gets it to them
    await floor.rules('presales', { intents: { billing: { skills: { billing: 7 } } } });
    const chosen = await floor.agent({ lines: ['presales'], name: 'Chosen Agent', skills: { billing: 1 } });
    await browser.step(page, 'force-assign', async () => {
      await open('board');
      await signIn('staff', tether.adminToken);
      await page.getByTestId('board-mode').filter({ hasText: 'live view' }).waitFor();
      const call = await floor.call('presales', { ivr: { intent: 'billing' } });
      await chosen.expectNoOffer(500);
      const row = page.locator(`[data-testid=waiting-contact][data-contact-id="${call.contactId}"]`);
      await row.getByTestId('assign-agent').selectOption(chosen.agentId);
      await row.getByTestId('assign').click();
      expect((await chosen.nextOffer()).contact.id).toBe(call.contactId);
      await page.getByTestId('board-results').filter({ hasText: 'done' }).waitFor();
      await page.getByTestId('board-actions').filter({ hasText: 'contact:assign' }).waitFor();
    });
  });

  it('rules: an invalid rule is refused with its error at its JSON path and line; fixed, it saves; the simulator answers', async () => {
    await floor.rules('service', {}); // restored after the test
    await floor.agent({ lines: ['service'], skills: { billing: 5 } });
    await browser.step(page, 'rules', async () => {
      await page.goto(`${tether.urls.admin}/console/#/rules`);
      await signIn('staff', tether.adminToken);
      await page.getByTestId('rules-line').fill('service');
      await page.getByTestId('rules-line').dispatchEvent('change');
      await page
        .getByTestId('rules-status')
        .filter({ hasText: /service: version \d+ loaded/ })
        .waitFor();
      const editor = page.getByTestId('rules-editor');
      const loaded = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
      const version = Number(
        /version (\d+)/.exec((await page.getByTestId('rules-status').textContent()) ?? '')?.[1],
      );

      const invalid = {
        ...loaded,
        rules: [{ name: 'bad', stages: [{ seconds: 5, skills: { billing: 7, cooking: 2 } }] }],
      };
      const text = JSON.stringify(invalid, null, 2);
      await editor.fill(text);
      await page.getByTestId('rules-save').click();
      const error = page.locator('[data-testid=rules-error][data-path="rules[0].stages[0].skills.cooking"]');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/unknown skill/);
      const cookingLine = text.split('\n').findIndex((line) => line.includes('"cooking"')) + 1;
      expect(await error.getAttribute('data-line')).toBe(String(cookingLine));
      await page
        .locator('.gutter .bad')
        .filter({ hasText: new RegExp(`^${cookingLine}$`) })
        .waitFor();
      // refused: the live rules did not move
      expect((await floor.admin.getRouting('service')).version).toBe(version);

      // not JSON at all: caught in the page, nothing sent
      await editor.fill('{ "rules": [ }');
      await page.getByTestId('rules-save').click();
      await page.getByTestId('rules-status').filter({ hasText: 'not valid JSON' }).waitFor();

      // positive control: a valid rule saves as the next version
      const valid = { ...loaded, rules: [{ name: 'everyone', priority: 3 }] };
      await editor.fill(JSON.stringify(valid, null, 2));
      await page.getByTestId('rules-save').click();
      await page
        .getByTestId('rules-status')
        .filter({ hasText: `saved as version ${version + 1}` })
        .waitFor();
      await expect(page.getByTestId('rules-errors').count()).resolves.toBe(0);
      expect((await floor.admin.getRouting('service')).rules).toEqual([
        expect.objectContaining({ name: 'everyone', priority: 3 }),
      ]);

      await page.getByTestId('simulate').click();
      await page.getByTestId('simulation-rule').filter({ hasText: 'everyone' }).waitFor();
    });
  });

  it('reports: service level and repeat-contact rate are drawn per line', async () => {
    const agent = await floor.agent({ lines: ['sales'] });
    const call = await floor.call('sales');
    const offer = await agent.nextOffer();
    expect((await agent.accept(offer.offerId)).ok).toBe(true);
    expect((await agent.complete(call.contactId, 'resolved')).ok).toBe(true);
    await browser.step(page, 'reports', async () => {
      await open('reports');
      await signIn('staff', tether.adminToken);
      const chart = page.getByTestId('chart-service-level');
      await chart.locator('canvas').waitFor();
      await page.getByTestId('chart-repeat-rate').locator('canvas').waitFor();
      expect(await chart.locator('.u-legend').textContent()).toContain('sales');
      expect((await chart.getAttribute('data-series'))?.split(',')).toContain('sales');
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
      // something is drawn: the plot's canvas is not blank
      const painted = await chart.locator('canvas').evaluate((element) => {
        const canvas = element as unknown as PlotCanvas;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) count++;
        return count;
      });
      expect(painted).toBeGreaterThan(100);
      await page
        .getByTestId('reports-status')
        .filter({ hasText: /\d+ rows/ })
        .waitFor();
    });
  });
});

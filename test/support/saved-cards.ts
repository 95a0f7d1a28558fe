// Saving a sandbox test card as a customer's browser does: open a setup, load the "Save card" page
// (which sets the CSRF cookie), and submit the chosen card with the page's token.
import type { TestApi } from './api.ts';
import { uniqueKey } from './api.ts';
import { openSandboxPage } from './sandbox-page.ts';

export async function saveSandboxCard(api: TestApi, apiKey: string, card: string): Promise<void> {
  const setup = await api.request('POST', '/v1/payment-methods/setup', { token: apiKey, body: {}, idempotencyKey: uniqueKey('setup') });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${setup.text}`);
  const page = await openSandboxPage(setup.body.setup_url);
  const saved = await fetch(`${setup.body.setup_url}/save`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie ?? '' },
    body: new URLSearchParams({ csrf_token: page.csrfToken ?? '', card }).toString(),
  });
  if (saved.status !== 303) throw new Error(`saving the card failed: ${saved.status} ${await saved.text()}`);
}

// The sandbox checkout page as a browser uses it: load the page (which sets the CSRF cookie and puts
// the token in its forms), then press Pay or Decline, sending the cookie and the form's token back.
export interface SandboxPage {
  status: number;
  headers: Headers;
  html: string;
  /** The browser's CSRF cookie, as the page set it ("name=value"), or null. */
  cookie: string | null;
  /** The token in the page's forms, or null when the page has no form. */
  csrfToken: string | null;
}

/** GETs the checkout page, optionally sending a cookie the browser already has. */
export async function openSandboxPage(checkoutUrl: string, cookie: string | null = null): Promise<SandboxPage> {
  const response = await fetch(checkoutUrl, cookie === null ? {} : { headers: { cookie } });
  const html = await response.text();
  const setCookie = response.headers.getSetCookie().find((value) => value.startsWith('refill_sandbox_csrf='));
  return {
    status: response.status,
    headers: response.headers,
    html,
    cookie: setCookie === undefined ? cookie : setCookie.split(';')[0]!,
    csrfToken: /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? null,
  };
}

/** Posts one of the page's forms as the browser would (form encoding, the cookie, no redirect following). */
export async function submitSandboxForm(
  checkoutUrl: string,
  action: 'pay' | 'decline',
  form: { cookie: string | null; csrfToken: string | null },
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (form.cookie !== null) headers.cookie = form.cookie;
  const body = form.csrfToken === null ? '' : new URLSearchParams({ csrf_token: form.csrfToken }).toString();
  return fetch(`${checkoutUrl}/${action}`, { method: 'POST', redirect: 'manual', headers, body });
}

/** Opens the page and presses a button: what a customer does. */
export async function pressSandboxButton(checkoutUrl: string, action: 'pay' | 'decline'): Promise<Response> {
  return submitSandboxForm(checkoutUrl, action, await openSandboxPage(checkoutUrl));
}

// The HTML of the ops console: one layout (skip link, queue navigation, sign-out), its stylesheet, and
// the small pieces every queue page is made of (notices, forms with the CSRF token, links to Temporal's
// UI). Pages are plain HTML forms: they work without JavaScript, and the console serves no script at all.
import type { ApiError } from '../../domain/errors.ts';
import { escapeHtml } from '../routes/sandbox-views.ts';
import { csrfField } from './ops-sessions.ts';

export { escapeHtml };

/** The queues, in the order the navigation and the home page show them. */
export const opsQueues = [
  { path: '/ops/bank-transfers', title: 'Bank transfers to review' },
  { path: '/ops/held-orders', title: 'Orders held for review' },
  { path: '/ops/payment-exceptions', title: 'Payment exceptions' },
  { path: '/ops/refunds', title: 'Refunds to approve' },
  { path: '/ops/auto-recharges', title: 'Paused auto-recharges' },
] as const;

export type OpsQueuePath = (typeof opsQueues)[number]['path'];

/** A queue's path and title, from the list above. */
export function queueHeading(path: OpsQueuePath): { path: OpsQueuePath; title: string } {
  return opsQueues.find((queue) => queue.path === path)!;
}

/** The console's own stylesheet, served at /ops/console.css; colours keep at least 4.5:1 contrast. */
export const consoleStylesheet = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #c9ced6; --accent: #0b5cad; --ok: #135e2b; --bad: #a1161f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header { background: #0d2a4a; color: #fff; padding: .5rem 1rem; }
header a { color: #fff; }
header nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
header form { margin-left: auto; }
header a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; }
.notice { border-left: 6px solid; padding: .5rem 1rem; margin: 0 0 1rem; background: #f4f6f8; }
.notice.ok { border-color: var(--ok); color: var(--ok); }
.notice.error { border-color: var(--bad); color: var(--bad); }
.item { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .75rem; margin: 0; min-width: 16rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; margin: .5rem 0 .15rem; }
input[type="text"], input[type="password"], select { font: inherit; padding: .35rem .5rem; border: 1px solid #6b7480; border-radius: 4px; width: 100%; max-width: 24rem; }
button { font: inherit; margin-top: .75rem; padding: .4rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
header button { margin: 0; background: transparent; border-color: #fff; }
button.secondary { background: #fff; color: var(--accent); }
table.counts { border-collapse: collapse; }
table.counts th, table.counts td { text-align: left; padding: .4rem 1rem .4rem 0; border-bottom: 1px solid var(--line); }
.hint { color: var(--muted); font-size: .9rem; margin: .15rem 0 0; }
`;

/** Content-Security-Policy of the console's pages: its own stylesheet, forms to itself, no script at all. */
export const consoleContentSecurityPolicy =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface PageOptions {
  title: string;
  /** The operator signed in, with the session's CSRF token for the sign-out form; null on the sign-in page. */
  session: { operator: string; csrfToken: string } | null;
  current?: string;
  notice?: string;
}

function navigation(session: { operator: string; csrfToken: string }, current: string | undefined): string {
  const links = opsQueues
    .map((queue) => `<li><a href="${queue.path}"${queue.path === current ? ' aria-current="page"' : ''}>${escapeHtml(queue.title)}</a></li>`)
    .join('');
  const signOut = `<form method="post" action="/ops/sign-out">${csrfInput(session.csrfToken)}<button type="submit">Sign out ${escapeHtml(session.operator)}</button></form>`;
  return `<nav aria-label="Ops console"><a href="/ops"${current === '/ops' ? ' aria-current="page"' : ''}>Refill ops</a><ul>${links}</ul>${signOut}</nav>`;
}

/** A whole page of the console. */
export function consolePage(options: PageOptions, body: string): string {
  const header = options.session === null ? '<nav aria-label="Ops console"><a href="/ops">Refill ops</a></nav>' : navigation(options.session, options.current);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(options.title)} · Refill ops</title><link rel="stylesheet" href="/ops/console.css"></head>` +
    `<body><a class="skip" href="#main">Skip to the content</a><header>${header}</header>` +
    `<main id="main" tabindex="-1"><h1>${escapeHtml(options.title)}</h1>${options.notice ?? ''}${body}</main></body></html>`
  );
}

export function csrfInput(token: string): string {
  return `<input type="hidden" name="${csrfField}" value="${escapeHtml(token)}">`;
}

/** The outcome of an action, announced to screen readers as it appears. */
export function successNotice(text: string): string {
  return `<div class="notice ok" role="status"><p>${escapeHtml(text)}</p></div>`;
}

/** An action's refusal with its precise code and message, as the /admin route would have answered. */
export function errorNotice(error: ApiError): string {
  const field = error.field === undefined ? '' : ` (field <code>${escapeHtml(error.field)}</code>)`;
  return `<div class="notice error" role="alert"><p><strong>Not done: <code>${escapeHtml(error.code)}</code></strong>${field}. ${escapeHtml(error.message)}</p></div>`;
}

/** A definition list of an item's facts; empty values are left out. */
export function facts(entries: [string, string | null][]): string {
  const rows = entries.filter(([, value]) => value !== null && value !== '').map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value!)}</dd>`);
  return `<dl>${rows.join('')}</dl>`;
}

export interface FieldOptions {
  required?: boolean;
  value?: string;
  hint?: string;
  inputMode?: 'decimal' | 'text';
}

/** A labelled text input; its id is unique on the page (the item's id is part of it). */
export function textField(id: string, name: string, label: string, options: FieldOptions = {}): string {
  const hintId = `${id}-hint`;
  const hint = options.hint === undefined ? '' : `<p class="hint" id="${hintId}">${escapeHtml(options.hint)}</p>`;
  return (
    `<label for="${id}">${escapeHtml(label)}${options.required ? '' : ' (optional)'}</label>` +
    `<input type="text" id="${id}" name="${name}"${options.value === undefined ? '' : ` value="${escapeHtml(options.value)}"`}` +
    `${options.required ? ' required' : ''}${options.inputMode === 'decimal' ? ' inputmode="decimal"' : ''}` +
    `${options.hint === undefined ? '' : ` aria-describedby="${hintId}"`} autocomplete="off">${hint}`
  );
}

/** A labelled choice between a few values. */
export function selectField(id: string, name: string, label: string, choices: readonly { value: string; label: string }[]): string {
  const options = choices.map((choice) => `<option value="${escapeHtml(choice.value)}">${escapeHtml(choice.label)}</option>`).join('');
  return `<label for="${id}">${escapeHtml(label)}</label><select id="${id}" name="${name}">${options}</select>`;
}

/** One action of an item: a fieldset with its legend, fields and submit button, posted with the CSRF token. */
export function actionForm(action: string, legend: string, csrfToken: string, fields: string, button: string, secondary = false): string {
  return (
    `<form method="post" action="${escapeHtml(action)}"><fieldset><legend>${escapeHtml(legend)}</legend>${csrfInput(csrfToken)}${fields}` +
    `<button type="submit"${secondary ? ' class="secondary"' : ''}>${escapeHtml(button)}</button></fieldset></form>`
  );
}

/** The link to a workflow in Temporal's UI, or nothing when no UI is configured. */
export function temporalLink(temporalUiUrl: string | null, namespace: string, workflowId: string): string {
  if (temporalUiUrl === null) return '';
  const href = `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return `<p><a href="${escapeHtml(href)}">Workflow <code>${escapeHtml(workflowId)}</code> in the Temporal UI</a></p>`;
}

/** "3 h 20 min" since a time, for how long an item has waited. */
export function waited(since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** An empty queue says so, rather than showing nothing. */
export function emptyQueue(what: string): string {
  return `<p>No ${escapeHtml(what)} right now.</p>`;
}

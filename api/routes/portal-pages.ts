// The billing portal's HTML: the shell the front end (portal/src, built to dist/portal) renders into, and
// the pages a browser gets instead when its link or session is not good (forged, expired, ended). Each
// says what to do next in the customer's language: open the portal again from the platform.
import type { PortalLocale } from '../../ids/portal-sessions.ts';
import { escapeHtml } from './sandbox-views.ts';

const titles: Record<PortalLocale, string> = { en: 'Billing portal', 'zh-CN': '账单与充值' };

export type PortalProblem = 'link_invalid' | 'link_expired' | 'session_ended';

const problemTexts: Record<PortalProblem, Record<PortalLocale, { heading: string; body: string }>> = {
  link_invalid: {
    en: { heading: 'This link is not valid', body: 'The billing portal link is incomplete or has been changed. Open the billing portal again from the website you came from.' },
    'zh-CN': { heading: '链接无效', body: '账单中心链接不完整或已被修改。请从您来的网站重新打开账单中心。' },
  },
  link_expired: {
    en: { heading: 'This link has expired', body: 'Billing portal links work for a short time only. Open the billing portal again from the website you came from.' },
    'zh-CN': { heading: '链接已过期', body: '账单中心链接只在短时间内有效。请从您来的网站重新打开账单中心。' },
  },
  session_ended: {
    en: { heading: 'Your session has ended', body: 'For your security, billing portal sessions end after a while. Open the billing portal again from the website you came from.' },
    'zh-CN': { heading: '会话已结束', body: '为了您的安全，账单中心会话会在一段时间后结束。请从您来的网站重新打开账单中心。' },
  },
};

const backTexts: Record<PortalLocale, string> = { en: 'Back to the website', 'zh-CN': '返回网站' };

function page(locale: PortalLocale, title: string, body: string): string {
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/portal/assets/portal.css"></head>` +
    `<body>${body}</body></html>`
  );
}

/** The page the front end renders into: the script reads its session from GET /portal/session. */
export function portalShellPage(locale: PortalLocale): string {
  const loading = locale === 'zh-CN' ? '正在加载…' : 'Loading…';
  return page(
    locale,
    titles[locale],
    `<main id="portal" class="portal"><p class="loading">${escapeHtml(loading)}</p></main>` +
      '<script type="module" src="/portal/assets/portal.js"></script>',
  );
}

/** A page saying why the portal did not open, with a link back to the platform when its address is known. */
export function portalProblemPage(problem: PortalProblem, locale: PortalLocale, returnUrl: string | null): string {
  const text = problemTexts[problem][locale];
  const back = returnUrl === null ? '' : `<p><a class="button" href="${escapeHtml(returnUrl)}">${escapeHtml(backTexts[locale])}</a></p>`;
  return page(
    locale,
    `${text.heading} · ${titles[locale]}`,
    `<main class="portal portal-problem"><section class="card"><h1>${escapeHtml(text.heading)}</h1><p>${escapeHtml(text.body)}</p>${back}</section></main>`,
  );
}

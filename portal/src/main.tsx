// The portal's entry point: reads the session (GET /portal/session, with the page's cookie), then renders
// the app. Without a session it says so and points back to the platform.
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { createPortalApi } from './api.ts';
import { App } from './app.tsx';
import type { PortalSession } from './context.ts';
import { defineMessages, isLocale, setActiveLocale } from './i18n.ts';
import './portal.css';

const t = defineMessages({
  en: {
    ended: 'Your session has ended',
    endedBody: 'For your security, billing portal sessions end after a while. Open the billing portal again from the website you came from.',
    back: 'Back to the website',
    failed: 'The billing portal could not load. Check your connection and reload the page.',
  },
  'zh-CN': {
    ended: '会话已结束',
    endedBody: '为了您的安全，账单中心会话会在一段时间后结束。请从您来的网站重新打开账单中心。',
    back: '返回网站',
    failed: '账单中心无法加载。请检查网络连接后刷新页面。',
  },
});

function SessionEnded(props: { returnUrl: string | null }) {
  return (
    <section class="card">
      <h1>{t('ended')}</h1>
      <p>{t('endedBody')}</p>
      {props.returnUrl === null ? null : (
        <p>
          <a class="button" href={props.returnUrl}>
            {t('back')}
          </a>
        </p>
      )}
    </section>
  );
}

function Root(props: { session: PortalSession }) {
  const [ended, setEnded] = useState(false);
  const [api] = useState(() => createPortalApi(props.session.token, () => setEnded(true)));
  return ended ? <SessionEnded returnUrl={props.session.return_url} /> : <App api={api} session={props.session} />;
}

async function start(root: HTMLElement): Promise<void> {
  const lang = new URLSearchParams(window.location.search).get('lang') ?? document.documentElement.lang;
  setActiveLocale(isLocale(lang) ? lang : 'en');
  let answer: Response;
  try {
    answer = await fetch('/portal/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch {
    render(<p class="error" role="alert">{t('failed')}</p>, root);
    return;
  }
  if (!answer.ok) {
    render(<SessionEnded returnUrl={null} />, root);
    return;
  }
  const session = (await answer.json()) as PortalSession;
  root.textContent = '';
  render(<Root session={session} />, root);
}

void start(document.getElementById('portal')!);

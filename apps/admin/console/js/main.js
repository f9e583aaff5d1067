import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { tokens } from './api.js';
import { Desk } from './desk.js';
import { Board } from './board.js';
import { Rules } from './rules.js';
import { Reports } from './reports.js';

const PAGES = [
  { id: 'desk', title: 'Agent desk', kind: 'agent', view: Desk },
  { id: 'board', title: 'Supervisor board', kind: 'staff', view: Board },
  { id: 'rules', title: 'Rules', kind: 'staff', view: Rules },
  { id: 'reports', title: 'Reports', kind: 'staff', view: Reports },
];

const pageFromHash = () => PAGES.find((page) => `#/${page.id}` === location.hash) ?? PAGES[0];

/**
 * Two sign-ins: the agent desk uses an agent's token (POST /v1/agents/{id}/tokens); the board, rules and reports use
 * a staff token (an admin's or a supervisor's). Each stays in this tab's sessionStorage only.
 */
function SignIn({ kind, onSignedIn }) {
  const [value, setValue] = useState('');
  const label = kind === 'agent' ? 'Agent token' : 'Admin or supervisor token';
  const submit = (event) => {
    event.preventDefault();
    const token = value.trim();
    if (!token) return;
    tokens.set(kind, token);
    onSignedIn(token);
  };
  return html`<form class="card sign-in" data-testid="sign-in-${kind}" onSubmit=${submit}>
    <h2>Sign in</h2>
    <label
      >${label}
      <input
        name="token"
        type="password"
        autocomplete="off"
        value=${value}
        onInput=${(event) => setValue(event.currentTarget.value)}
    /></label>
    <button type="submit">Sign in</button>
    <p class="muted">
      ${
        kind === 'agent'
          ? html`An admin issues it: <code>POST /v1/agents/{id}/tokens</code>.`
          : html`<code>TETHER_ADMIN_TOKEN</code>, or the generated one: <code>npm run secrets</code>.`
      }
    </p>
  </form>`;
}

function App() {
  const [page, setPage] = useState(pageFromHash());
  const [signedIn, setSignedIn] = useState({ agent: tokens.get('agent'), staff: tokens.get('staff') });
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const token = signedIn[page.kind];
  const signOut = () => {
    tokens.clear(page.kind);
    setSignedIn({ ...signedIn, [page.kind]: '' });
  };
  const View = page.view;
  return html`<header class="top">
      <strong>Tether</strong>
      <nav>
        ${PAGES.map(
          (p) =>
            html`<a href="#/${p.id}" class=${p.id === page.id ? 'active' : ''} data-testid="nav-${p.id}"
              >${p.title}</a
            >`,
        )}
      </nav>
      ${token ? html`<button class="link" onClick=${signOut}>Sign out</button>` : null}
    </header>
    <main>
      ${
        token
          ? html`<${View} key=${`${page.id}:${token}`} token=${token} onSignOut=${signOut} />`
          : html`<${SignIn}
              kind=${page.kind}
              onSignedIn=${(value) => setSignedIn({ ...signedIn, [page.kind]: value })}
            />`
      }
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));

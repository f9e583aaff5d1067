/*
 * A line's routing rules as JSON (GET/PUT /v1/lines/{line}/routing, If-Match the version read): checked as JSON
 * here, validated by the server, whose 400 names every error by its JSON path; each is shown at its line. Beside
 * it, the simulator (POST .../routing/simulate): what would happen to a contact now, by the live rules or the draft.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { errorText, request } from './api.js';
import { errorsOf, lineOf, locate } from './json-paths.js';

const DEFAULT_LINES = ['sales', 'presales', 'service'];
const READ_ONLY = ['line', 'version', 'updatedAt', 'warnings'];
const CHANNELS = ['voice', 'chat', 'email', 'messenger'];

const withoutReadOnly = (view) =>
  Object.fromEntries(Object.entries(view).filter(([key]) => !READ_ONLY.includes(key)));

/** A JSON.parse failure's position as a line number, when the engine says where. */
function syntaxError(text, error) {
  const at = /position (\d+)/.exec(error.message);
  const line = at ? lineOf(text, Number(at[1])) : /line (\d+)/.exec(error.message)?.[1];
  return { path: '', message: error.message, line: line === undefined ? undefined : Number(line) };
}

export function Rules({ token }) {
  const [line, setLine] = useState('sales');
  const [text, setText] = useState('');
  const [version, setVersion] = useState(null);
  const [warnings, setWarnings] = useState([]);
  const [errors, setErrors] = useState([]);
  const [status, setStatus] = useState('');
  const editor = useRef(null);
  const gutter = useRef(null);
  // the line whose rules the editor should hold: an answer for a line left meanwhile is dropped, or a slow answer
  // for the previous line would fill the editor (and a save would write that line's rules to this one)
  const wanted = useRef(line);

  const load = async () => {
    const asked = line;
    wanted.current = asked;
    setStatus('loading…');
    setErrors([]);
    const answer = await request('GET', `/v1/lines/${encodeURIComponent(asked)}/routing`, { token });
    if (wanted.current !== asked) return;
    if (!answer.ok) {
      setStatus(errorText(answer));
      return;
    }
    setText(JSON.stringify(withoutReadOnly(answer.body), null, 2));
    setVersion(answer.body.version);
    setWarnings(answer.body.warnings ?? []);
    setStatus(`${asked}: version ${answer.body.version} loaded`);
  };
  useEffect(() => {
    void load();
  }, [line, token]);

  const check = () => {
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        return { errors: [{ path: '', message: 'the rules are a JSON object', line: 1 }] };
      return { parsed, errors: [] };
    } catch (error) {
      return { errors: [syntaxError(text, error)] };
    }
  };

  const save = async (target) => {
    const checked = check();
    setErrors(checked.errors);
    if (!checked.parsed) {
      setStatus('not valid JSON: nothing sent');
      return;
    }
    const draft = target === 'draft';
    setStatus(draft ? 'saving the draft…' : 'saving…');
    const answer = await request(
      'PUT',
      `/v1/lines/${encodeURIComponent(line)}/routing${draft ? '/draft' : ''}`,
      {
        token,
        body: checked.parsed,
        headers: draft || version === null ? {} : { 'if-match': `"${version}"` },
      },
    );
    if (answer.status === 400) {
      const found = errorsOf(answer.body).map((error) => ({ ...error, ...placeOf(text, error.path) }));
      setErrors(found);
      setStatus(`refused: ${found.length} error${found.length === 1 ? '' : 's'}`);
      return;
    }
    if (answer.status === 412) {
      setStatus(`the rules changed since version ${version} was read: reload, then apply your change again`);
      return;
    }
    if (!answer.ok) {
      setStatus(errorText(answer));
      return;
    }
    setErrors([]);
    setWarnings(answer.body.warnings ?? []);
    if (draft)
      setStatus('draft saved: simulate it with “by the draft”, activate it with a PUT of the same rules');
    else {
      setVersion(answer.body.version);
      setStatus(`saved as version ${answer.body.version}`);
    }
  };

  const show = (error) => {
    const area = editor.current;
    if (!area || error.start === undefined) return;
    area.focus();
    area.setSelectionRange(error.start, error.end);
  };
  const lineCount = text.split('\n').length;
  const errorLines = new Set(errors.map((e) => e.line).filter(Boolean));

  return html`<section class="rules" data-testid="rules">
    <div class="bar">
      <label
        >Line
        <input
          list="known-lines"
          data-testid="rules-line"
          value=${line}
          onChange=${(e) => setLine(e.currentTarget.value.trim())}
      /></label>
      <datalist id="known-lines">${DEFAULT_LINES.map((l) => html`<option value=${l} />`)}</datalist>
      <button onClick=${load}>Reload</button>
      <button class="primary" data-testid="rules-save" onClick=${() => save('live')}>Save</button>
      <button data-testid="rules-save-draft" onClick=${() => save('draft')}>Save as draft</button>
      <span class="muted" data-testid="rules-status">${status}</span>
    </div>
    <div class="columns">
      <div class="column">
        <div class="editor">
          <pre class="gutter" ref=${gutter} aria-hidden="true">
${Array.from(
              { length: lineCount },
              (_, i) => html`<span class=${errorLines.has(i + 1) ? 'bad' : ''}>${i + 1}</span>`,
            )}</pre>
          <textarea
            ref=${editor}
            data-testid="rules-editor"
            spellcheck="false"
            value=${text}
            onInput=${(e) => setText(e.currentTarget.value)}
            onScroll=${(e) => {
              if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
            }}
          ></textarea>
        </div>
        ${
          errors.length > 0
            ? html`<ul class="errors" data-testid="rules-errors">
                ${errors.map(
                  (error, i) =>
                    html`<li
                      key=${i}
                      data-testid="rules-error"
                      data-path=${error.path}
                      data-line=${error.line ?? ''}
                    >
                      <button class="link" onClick=${() => show(error)}>
                        ${error.line ? `line ${error.line}` : 'rules'}${error.path ? html` <code>${error.path}</code>` : null}
                      </button>
                      ${error.exact === false ? html`<span class="muted"> (missing here)</span>` : null}:
                      ${error.message}
                    </li>`,
                )}
              </ul>`
            : null
        }
        ${
          warnings.length > 0
            ? html`<ul class="warnings" data-testid="rules-warnings">
                ${warnings.map((w, i) => html`<li key=${i}>${typeof w === 'string' ? w : JSON.stringify(w)}</li>`)}
              </ul>`
            : null
        }
      </div>
      <div class="column side">
        <${Simulator} line=${line} token=${token} />
      </div>
    </div>
  </section>`;
}

function placeOf(text, path) {
  if (!path) return {};
  const found = locate(text, path);
  return found ? { line: found.line, start: found.start, end: found.end, exact: found.exact } : {};
}

function Simulator({ line, token }) {
  const [from, setFrom] = useState('+15551230001');
  const [channel, setChannel] = useState('voice');
  const [intent, setIntent] = useState('');
  const [digits, setDigits] = useState('');
  const [draft, setDraft] = useState(false);
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState('');

  const simulate = async (event) => {
    event.preventDefault();
    const ivr = { ...(intent ? { intent } : {}), ...(digits ? { digits } : {}) };
    const result = await request('POST', `/v1/lines/${encodeURIComponent(line)}/routing/simulate`, {
      token,
      body: { from, channel, ...(Object.keys(ivr).length ? { ivr } : {}), ...(draft ? { draft: true } : {}) },
    });
    if (result.ok) {
      setAnswer(result.body);
      setError('');
    } else {
      setAnswer(null);
      setError(errorText(result));
    }
  };
  return html`<h2>Simulate</h2>
    <form class="subform stacked" data-testid="simulate-form" onSubmit=${simulate}>
      <label>Caller <input value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} /></label>
      <label
        >Channel
        <select value=${channel} onChange=${(e) => setChannel(e.currentTarget.value)}>
          ${CHANNELS.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label
      >
      <label>IVR intent <input value=${intent} onInput=${(e) => setIntent(e.currentTarget.value)} /></label>
      <label>IVR digits <input value=${digits} onInput=${(e) => setDigits(e.currentTarget.value)} /></label>
      <label class="check"
        ><input type="checkbox" checked=${draft} onChange=${(e) => setDraft(e.currentTarget.checked)} /> by
        the draft</label
      >
      <button type="submit" data-testid="simulate">Simulate</button>
    </form>
    ${error ? html`<p class="error" data-testid="simulate-error">${error}</p>` : null}
    ${
      answer
        ? html`<div class="card" data-testid="simulation">
            <dl>
              <dt>Decided by</dt>
              <dd>${answer.draft ? 'the draft' : `version ${answer.version}`}</dd>
              <dt>Rule</dt>
              <dd data-testid="simulation-rule">${answer.rule ?? '(the line’s intents)'}</dd>
              <dt>Priority</dt>
              <dd>${answer.priority}</dd>
              <dt>Skills</dt>
              <dd>
                ${Object.entries(answer.skills ?? {}).map(([s, n]) => html`<span class="tag">${s} ${n}</span>`)}
              </dd>
              <dt>Agent</dt>
              <dd data-testid="simulation-agent">
                ${answer.agent ? html`<code>${answer.agent.id.slice(0, 8)}</code> (${answer.agent.reason})` : 'nobody now'}
              </dd>
              <dt>Queue</dt>
              <dd>
                ${
                  answer.queuePosition === null
                    ? 'offered now'
                    : `position ${answer.queuePosition}, about ${answer.estimatedWaitSeconds} s`
                }
              </dd>
              ${
                answer.announcement
                  ? html`<dt>Announcement</dt>
                      <dd>${answer.announcement}</dd>`
                  : null
              }
            </dl>
            <p class="muted">${answer.trace}</p>
            <details>
              <summary>Stages (${answer.stages?.length ?? 0})</summary>
              <pre>${JSON.stringify(answer.stages, null, 2)}</pre>
            </details>
          </div>`
        : null
    }`;
}

/*
 * The supervisor board: a staff token on /supervisors. The live view (`live:view`: waiting contacts per line with
 * wait, stage and why held; agents with state, load, contact and time in state; today's figures) with the actions
 * (`contact:assign`, `agent:status`, `case:reassign`, each acknowledged; `supervisor:action` tells every supervisor).
 * A gateway without the live view still sends the roster (`agents`), the queue, presence changes and `metrics:live`:
 * the board shows those, and an action it offers is answered "no answer" there.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { connectSocket, emitAck } from './api.js';
import { clock, useNow } from './time.js';

export function Board({ token, onSignOut }) {
  const socketRef = useRef(null);
  const [connection, setConnection] = useState('connecting');
  const [refusal, setRefusal] = useState('');
  const [live, setLive] = useState(null);
  const [roster, setRoster] = useState([]);
  const [queue, setQueue] = useState(null);
  const [metrics, setMetrics] = useState(null);
  const [actions, setActions] = useState([]);
  const [results, setResults] = useState([]);
  const now = useNow(1000);

  const report = (text) => setResults((list) => [{ at: Date.now(), text }, ...list].slice(0, 20));

  useEffect(() => {
    let socket;
    let closed = false;
    void connectSocket('/supervisors', token).then((created) => {
      if (closed) return created.close();
      socket = created;
      socketRef.current = socket;
      socket.on('connect', () => {
        setConnection('connected');
        setRefusal('');
      });
      socket.on('disconnect', (reason) => setConnection(`disconnected (${reason})`));
      socket.on('connect_error', (error) => {
        setConnection('refused');
        setRefusal(error.message);
      });
      socket.on('live:view', (view) => setLive({ ...view, receivedAt: Date.now() }));
      socket.on('agents', setRoster);
      socket.on('queue', setQueue);
      socket.on('metrics:live', setMetrics);
      socket.on('agent:presence', (change) =>
        setRoster((list) =>
          list.map((agent) =>
            agent.id === change.agentId
              ? {
                  ...agent,
                  presence: { ...agent.presence, state: change.state, since: new Date().toISOString() },
                }
              : agent,
          ),
        ),
      );
      socket.on('supervisor:action', (action) => setActions((list) => [action, ...list].slice(0, 50)));
    });
    return () => {
      closed = true;
      socket?.close();
      socketRef.current = null;
    };
  }, [token]);

  const act = async (event, payload, describe) => {
    const socket = socketRef.current;
    if (!socket) return;
    const ack = await emitAck(socket, event, payload);
    report(ack.ok ? `${describe}: done` : `${describe}: ${ack.message ?? ack.error}`);
    return ack;
  };
  const agents = live ? live.agents : roster.map(fromRoster);
  // pages are 0-based on the wire, shown from 1
  const page = (line, number) => act('live:page', { line, page: number }, `page ${number + 1} of ${line}`);

  return html`<section class="board" data-testid="board">
    <div class="bar">
      <span class="pill ${connection === 'connected' ? 'ok' : 'warn'}" data-testid="board-connection"
        >${connection}</span
      >
      ${
        refusal
          ? html`<span class="error" data-testid="refusal"
              >${refusal} <button class="link" onClick=${onSignOut}>use another token</button></span
            >`
          : null
      }
      <span class="muted" data-testid="board-mode"
        >${live ? `live view, ${new Date(live.at).toLocaleTimeString()}` : 'roster, queue and figures'}</span
      >
    </div>
    <div class="columns">
      <div class="column">
        ${
          live
            ? live.lines.map(
                (line) =>
                  html`<${LiveLine}
                    key=${line.line}
                    line=${line}
                    agents=${agents}
                    act=${act}
                    onPage=${page}
                  />`,
              )
            : html`<${QueueFallback} queue=${queue} metrics=${metrics} agents=${agents} act=${act} />`
        }
        <h2>Agents</h2>
        <${AgentsTable} agents=${agents} now=${now} live=${live} act=${act} />
        <${ReassignCase} agents=${agents} act=${act} />
      </div>
      <div class="column side">
        <h2>Results</h2>
        <ul class="notices" data-testid="board-results">
          ${results.map((r) => html`<li key=${r.at + r.text}>${r.text}</li>`)}
        </ul>
        <h2>Supervisors' actions</h2>
        <ul class="notices" data-testid="board-actions">
          ${actions.map(
            (a, i) =>
              html`<li key=${i}>
                ${new Date(a.at).toLocaleTimeString()} ${a.actor}: ${a.action}
                ${a.contactId ? ` contact ${a.contactId.slice(0, 8)}` : ''}${
                  a.agentId ? ` agent ${a.agentId.slice(0, 8)}` : ''
                }${a.status ? ` → ${a.status}` : ''}${a.caseId ? ` case ${a.caseId.slice(0, 8)}` : ''}
              </li>`,
          )}
        </ul>
      </div>
    </div>
  </section>`;
}

/** A roster row (`agents`, as GET /v1/agents lists them) in the live view's agent shape. */
function fromRoster(agent) {
  return {
    agentId: agent.id,
    name: agent.name,
    status: agent.presence.state,
    connected: agent.presence.connected,
    since: agent.presence.since,
    lines: agent.lines,
    load: null,
    contactId: null,
    inStateSeconds: null,
  };
}

function Figures({ today }) {
  if (!today) return null;
  const sl = today.serviceLevel === null || today.serviceLevel === undefined ? '—' : `${today.serviceLevel}%`;
  return html`<p class="figures" data-testid="line-figures">
    offered <strong>${today.offered}</strong> · answered <strong>${today.answered}</strong> · abandoned
    <strong>${today.abandoned}</strong> · service level <strong>${sl}</strong> · longest wait
    <strong>${clock(today.longestWaitSeconds)}</strong>
  </p>`;
}

function LiveLine({ line, agents, act, onPage }) {
  const { waiting } = line;
  const pages = Math.max(1, Math.ceil(waiting.total / Math.max(1, waiting.pageSize)));
  return html`<article class="card" data-testid="live-line" data-line=${line.line}>
    <header>
      <strong>${line.line}</strong>
      <span class="count" data-testid="waiting-total">${waiting.total} waiting</span>
    </header>
    <${Figures} today=${line.today} />
    <table class="compact">
      <thead>
        <tr>
          <th>contact</th>
          <th>channel</th>
          <th>waiting</th>
          <th>priority</th>
          <th>stage</th>
          <th>held</th>
          <th>customer</th>
          <th>force-assign</th>
        </tr>
      </thead>
      <tbody>
        ${waiting.contacts.map(
          (c) =>
            html`<tr key=${c.contactId} data-testid="waiting-contact" data-contact-id=${c.contactId}>
              <td><code>${c.contactId.slice(0, 8)}</code></td>
              <td>${c.channel}</td>
              <td>${clock(c.waitingSeconds)}</td>
              <td>${c.priority}</td>
              <td>${c.stage ?? '—'}</td>
              <td>${c.heldFor ?? '—'}</td>
              <td>${c.customer.known ? (c.customer.name ?? 'known') : 'unknown'}</td>
              <td>
                <${AssignControl} contactId=${c.contactId} line=${line.line} agents=${agents} act=${act} />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      pages > 1
        ? html`<div class="pager">
            <button disabled=${waiting.page <= 0} onClick=${() => onPage(line.line, waiting.page - 1)}>
              ‹
            </button>
            page ${waiting.page + 1} of ${pages}
            <button
              disabled=${waiting.page + 1 >= pages}
              onClick=${() => onPage(line.line, waiting.page + 1)}
            >
              ›
            </button>
          </div>`
        : null
    }
  </article>`;
}

/** Without the live view: the combined queue (first 50) and `metrics:live`'s figures per line. */
function QueueFallback({ queue, metrics, agents, act }) {
  return html`${
      metrics
        ? metrics.lines.map(
            (line) =>
              html`<article class="card" key=${line.line} data-testid="metrics-line" data-line=${line.line}>
                <header>
                  <strong>${line.line}</strong><span class="count">${line.waiting} waiting</span>
                </header>
                <${Figures} today=${{ ...line.today, longestWaitSeconds: line.longestWaitingSeconds }} />
              </article>`,
          )
        : null
    }
    <h2>
      Queue ${queue ? html`<span class="count" data-testid="board-queue-total">${queue.total}</span>` : null}
    </h2>
    ${
      queue
        ? html`<table class="compact" data-testid="board-queue">
            <thead>
              <tr>
                <th>contact</th>
                <th>line</th>
                <th>channel</th>
                <th>waiting</th>
                <th>priority</th>
                <th>force-assign</th>
              </tr>
            </thead>
            <tbody>
              ${queue.waiting.map(
                (w) =>
                  html`<tr key=${w.contactId} data-testid="waiting-contact" data-contact-id=${w.contactId}>
                    <td><code>${w.contactId.slice(0, 8)}</code></td>
                    <td>${w.line}</td>
                    <td>${w.channel}</td>
                    <td>${clock(w.waitingSeconds)}</td>
                    <td>${w.priority}</td>
                    <td>
                      <${AssignControl} contactId=${w.contactId} line=${w.line} agents=${agents} act=${act} />
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">Waiting for the first snapshot…</p>`
    }`;
}

function AssignControl({ contactId, line, agents, act }) {
  const candidates = agents.filter((a) => a.lines.includes(line) && a.status !== 'offline');
  const [agentId, setAgentId] = useState('');
  const chosen = agentId || candidates[0]?.agentId || '';
  if (candidates.length === 0) return html`<span class="muted">nobody signed in</span>`;
  return html`<span class="inline">
    <select data-testid="assign-agent" value=${chosen} onChange=${(e) => setAgentId(e.currentTarget.value)}>
      ${candidates.map((a) => html`<option value=${a.agentId}>${a.name} (${a.status})</option>`)}
    </select>
    <button
      data-testid="assign"
      onClick=${() => act('contact:assign', { contactId, agentId: chosen }, `assign ${contactId.slice(0, 8)}`)}
    >
      Assign
    </button>
  </span>`;
}

function AgentsTable({ agents, now, live, act }) {
  const sinceSeconds = (agent) =>
    agent.inStateSeconds !== null && agent.inStateSeconds !== undefined
      ? agent.inStateSeconds + (live ? (now - live.receivedAt) / 1000 : 0)
      : agent.since
        ? (now - Date.parse(agent.since)) / 1000
        : null;
  return html`<table class="compact" data-testid="board-agents">
    <thead>
      <tr>
        <th>agent</th>
        <th>lines</th>
        <th>state</th>
        <th>for</th>
        <th>load</th>
        <th>contact</th>
        <th>set</th>
      </tr>
    </thead>
    <tbody>
      ${agents.map(
        (agent) =>
          html`<tr key=${agent.agentId} data-testid="board-agent" data-agent-id=${agent.agentId}>
            <td>${agent.name}</td>
            <td>${agent.lines.join(', ')}</td>
            <td><span class="tag state-${agent.status}" data-testid="agent-state">${agent.status}</span></td>
            <td>${clock(sinceSeconds(agent))}</td>
            <td>
              ${
                agent.load
                  ? Object.entries(agent.load).map(
                      ([channel, n]) => html`<span class="tag">${channel} ${n}</span>`,
                    )
                  : '—'
              }
            </td>
            <td>${agent.contactId ? html`<code>${agent.contactId.slice(0, 8)}</code>` : '—'}</td>
            <td>
              ${['available', 'away', 'offline'].map(
                (status) =>
                  html`<button
                    class="small"
                    data-testid="set-${status}"
                    disabled=${agent.status === status}
                    onClick=${() =>
                      act('agent:status', { agentId: agent.agentId, status }, `${agent.name} → ${status}`)}
                  >
                    ${status}
                  </button>`,
              )}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function ReassignCase({ agents, act }) {
  const [caseId, setCaseId] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const owner = ownerId || agents[0]?.agentId;
    if (!caseId.trim() || !owner) return;
    void act('case:reassign', { caseId: caseId.trim(), ownerId: owner }, `case ${caseId.trim().slice(0, 8)}`);
  };
  return html`<form class="subform" data-testid="reassign-case" onSubmit=${submit}>
    <strong>Reassign a case</strong>
    <input placeholder="case id" value=${caseId} onInput=${(e) => setCaseId(e.currentTarget.value)} />
    <select value=${ownerId} onChange=${(e) => setOwnerId(e.currentTarget.value)}>
      ${agents.map((a) => html`<option value=${a.agentId}>${a.name}</option>`)}
    </select>
    <button type="submit">Reassign</button>
  </form>`;
}

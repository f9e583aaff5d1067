/*
 * The agent desk: one agent's socket on /agents (events: libs/realtime/src/agent-socket-events.ts,
 * docs/asyncapi.yaml). Presence, the queue of their lines, offers with the customer card and the story so far
 * (accept/reject before the timer runs out), the contacts they hold (complete, transfer, schedule a callback).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { connectSocket, emitAck } from './api.js';
import { clock, useNow, when } from './time.js';

const RESOLUTIONS = ['resolved', 'unresolved', 'follow_up'];

export function Desk({ token, onSignOut }) {
  const socketRef = useRef(null);
  const [connection, setConnection] = useState('connecting');
  const [refusal, setRefusal] = useState('');
  const [presence, setPresence] = useState(null);
  const [queue, setQueue] = useState(null);
  const [offers, setOffers] = useState([]);
  const [held, setHeld] = useState([]);
  const [notices, setNotices] = useState([]);
  const now = useNow();

  const note = (text) => setNotices((list) => [{ at: Date.now(), text }, ...list].slice(0, 20));
  const dropOffer = (offerId) => setOffers((list) => list.filter((offer) => offer.offerId !== offerId));
  const hold = (contact) =>
    setHeld((list) => [...list.filter((c) => c.contactId !== contact.contactId), contact]);
  const release = (contactId) => setHeld((list) => list.filter((c) => c.contactId !== contactId));
  const patchHeld = (contactId, change) =>
    setHeld((list) => list.map((c) => (c.contactId === contactId ? { ...c, ...change } : c)));

  useEffect(() => {
    let socket;
    let closed = false;
    void connectSocket('/agents', token).then((created) => {
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
      // the timer's full length: from when the offer reached this page to when it expires
      socket.on('offer', (offer) =>
        setOffers((list) => [
          ...list.filter((o) => o.offerId !== offer.offerId),
          { ...offer, receivedAt: Date.now() },
        ]),
      );
      socket.on('offer:revoked', (revoked) => {
        dropOffer(revoked.offerId);
        note(`offer for contact ${revoked.contactId.slice(0, 8)} withdrawn: ${revoked.reason}`);
      });
      socket.on('queue', setQueue);
      socket.on('agent:presence', (change) => {
        setPresence(change.state);
        note(`you are ${change.state} (${change.reason})`);
      });
      socket.on('contact:connected', (contact) =>
        hold({
          contactId: contact.contactId,
          connectedAt: contact.connectedAt,
          contact: contact.contact,
          customer: contact.customer,
          case: contact.case,
        }),
      );
      socket.on('contact:ended', (ended) => {
        patchHeld(ended.contactId, { endedReason: ended.reason });
        note(`contact ${ended.contactId.slice(0, 8)} ended: ${ended.reason}; complete it when done`);
      });
      socket.on('contact:transferred', (moved) => {
        release(moved.contactId);
        note(`contact ${moved.contactId.slice(0, 8)} transferred: taken by ${moved.toAgentId.slice(0, 8)}`);
      });
      socket.on('contact:transfer-returned', (back) =>
        note(`transfer of ${back.contactId.slice(0, 8)} came back (${back.mode}): ${back.reason}`),
      );
      socket.on('case:notice', (notice) => note(notice.text));
      socket.on('callback:reminder', (due) => note(`callback due at ${when(due.dueAt)}`));
      socket.on('callback:missed', () => note('a callback passed its due time'));
    });
    return () => {
      closed = true;
      socket?.close();
      socketRef.current = null;
    };
  }, [token]);

  const act = async (event, payload) => {
    const socket = socketRef.current;
    if (!socket) return { ok: false, error: 'not connected' };
    const ack = await emitAck(socket, event, payload);
    if (!ack.ok) note(`${event} refused: ${ack.error}`);
    return ack;
  };
  const setStatus = async (state) => {
    const ack = await act('agent:status', { state });
    if (ack.ok) setPresence(ack.state);
  };
  const accept = async (offer) => {
    const ack = await act('offer:accept', { offerId: offer.offerId });
    dropOffer(offer.offerId);
    if (ack.ok)
      hold({
        contactId: ack.contactId,
        connectedAt: new Date().toISOString(),
        contact: offer.contact,
        customer: offer.customer,
        case: offer.case,
      });
  };
  const reject = async (offer) => {
    const ack = await act('offer:reject', { offerId: offer.offerId });
    if (ack.ok) dropOffer(offer.offerId);
  };

  return html`<section class="desk" data-testid="desk">
    <div class="bar">
      <span class="pill ${connection === 'connected' ? 'ok' : 'warn'}" data-testid="connection"
        >${connection}</span
      >
      ${
        refusal
          ? html`<span class="error" data-testid="refusal"
              >${refusal} <button class="link" onClick=${onSignOut}>use another token</button></span
            >`
          : null
      }
      <span>Presence: <strong data-testid="presence">${presence ?? 'not set'}</strong></span>
      ${['available', 'away', 'offline'].map(
        (state) =>
          html`<button
            data-testid="status-${state}"
            class=${presence === state ? 'active' : ''}
            disabled=${connection !== 'connected'}
            onClick=${() => setStatus(state)}
          >
            ${state}
          </button>`,
      )}
    </div>
    <div class="columns">
      <div class="column">
        <h2>Offers</h2>
        ${offers.length === 0 ? html`<p class="muted">No offer. Go available to receive one.</p>` : null}
        ${offers.map(
          (offer) =>
            html`<${OfferCard}
              key=${offer.offerId}
              offer=${offer}
              now=${now}
              onAccept=${() => accept(offer)}
              onReject=${() => reject(offer)}
            />`,
        )}
        <h2>My contacts</h2>
        ${held.length === 0 ? html`<p class="muted">None.</p>` : null}
        ${held.map(
          (contact) =>
            html`<${HeldContact}
              key=${contact.contactId}
              held=${contact}
              now=${now}
              act=${act}
              onDone=${() => release(contact.contactId)}
            />`,
        )}
      </div>
      <div class="column side">
        <${QueueView} queue=${queue} />
        <h2>Notices</h2>
        <ul class="notices" data-testid="notices">
          ${notices.map((n) => html`<li key=${n.at + n.text}>${new Date(n.at).toLocaleTimeString()} ${n.text}</li>`)}
        </ul>
      </div>
    </div>
  </section>`;
}

function QueueView({ queue }) {
  if (!queue)
    return html`<h2>Queue</h2>
      <p class="muted">Waiting for the first snapshot…</p>`;
  return html`<h2>Queue <span class="count" data-testid="queue-total">${queue.total}</span></h2>
    <table class="compact" data-testid="queue">
      <thead>
        <tr>
          <th>line</th>
          <th>channel</th>
          <th>waiting</th>
          <th>priority</th>
        </tr>
      </thead>
      <tbody>
        ${queue.waiting.map(
          (w) =>
            html`<tr key=${w.contactId}>
              <td>${w.line}</td>
              <td>${w.channel}</td>
              <td>${clock(w.waitingSeconds)}</td>
              <td>${w.priority}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function OfferCard({ offer, now, onAccept, onReject }) {
  const total = Math.max(1, (Date.parse(offer.expiresAt) - offer.receivedAt) / 1000);
  const left = Math.max(0, (Date.parse(offer.expiresAt) - now) / 1000);
  const [busy, setBusy] = useState(false);
  const run = (action) => async () => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };
  return html`<article class="card offer" data-testid="offer" data-contact-id=${offer.contact.id}>
    <header>
      <strong>${offer.contact.channel} on ${offer.contact.line}</strong>
      <span class="timer ${left < 5 ? 'urgent' : ''}" data-testid="offer-timer">${clock(left)}</span>
    </header>
    <progress max=${total} value=${Math.min(left, total)}></progress>
    <p class="muted">${offer.reason}: ${offer.trace}</p>
    ${
      offer.transfer
        ? html`<p class="transfer">
            Transferred by ${offer.transfer.from.name} from ${offer.transfer.fromLine}
            (${offer.transfer.mode})${offer.transfer.note ? html`: “${offer.transfer.note}”` : null}
          </p>`
        : null
    }
    <${ContactDetails} contact=${offer.contact} customer=${offer.customer} story=${offer.case} />
    <div class="actions">
      <button class="primary" data-testid="offer-accept" disabled=${busy} onClick=${run(onAccept)}>
        Accept
      </button>
      <button data-testid="offer-reject" disabled=${busy} onClick=${run(onReject)}>Reject</button>
    </div>
  </article>`;
}

/** The customer card and the story so far, as an offer and `contact:connected` carry them. */
function ContactDetails({ contact, customer, story }) {
  const ivr = contact.ivr && Object.keys(contact.ivr).length > 0 ? contact.ivr : null;
  return html`<div class="details">
    <dl class="customer" data-testid="customer-card">
      <dt>Customer</dt>
      <dd data-testid="customer-name">
        ${customer.known ? (customer.name ?? 'known, unnamed') : 'unknown caller'}${
          customer.externalRef ? html` <span class="muted">(${customer.externalRef})</span>` : null
        }
      </dd>
      <dt>Phone</dt>
      <dd>${customer.phone ?? '—'}</dd>
      ${
        ivr
          ? html`<dt>IVR</dt>
              <dd>
                ${Object.entries(ivr).map(([k, v]) => html`<span class="tag">${k}: ${String(v)}</span>`)}
              </dd>`
          : null
      }
      ${
        contact.announcement
          ? html`<dt>Heard</dt>
              <dd>${contact.announcement}</dd>`
          : null
      }
      ${
        customer.incident
          ? html`<dt>Incident</dt>
              <dd class="warn">${customer.incident.title} (${customer.incident.status})</dd>`
          : null
      }
      ${
        contact.callback
          ? html`<dt>Callback</dt>
              <dd>
                due
                ${when(contact.callback.dueAt)}${contact.callback.note ? ` — ${contact.callback.note}` : ''}
              </dd>`
          : null
      }
    </dl>
    ${
      story
        ? html`<div class="story" data-testid="case-story">
            <strong>Case: ${story.subject}</strong>
            <span class="tag">${story.status}</span>
            ${story.owner ? html`<span class="muted"> owner ${story.owner.name}</span>` : null}
            <ol>
              ${story.contacts.map(
                (c) =>
                  html`<li key=${c.id}>
                    ${when(c.startedAt)} ${c.channel} on ${c.line}:
                    ${c.resolution ?? 'open'}${c.notes ? ` — ${c.notes}` : ''}
                  </li>`,
              )}
            </ol>
          </div>`
        : null
    }
    ${
      customer.recentContacts.length > 0
        ? html`<details class="history">
            <summary>Recent contacts (${customer.recentContacts.length})</summary>
            <ol>
              ${customer.recentContacts.map(
                (c) =>
                  html`<li key=${c.id}>
                    ${when(c.startedAt)} ${c.channel} on ${c.line}:
                    ${c.resolution ?? 'open'}${c.notes ? ` — ${c.notes}` : ''}
                  </li>`,
              )}
            </ol>
          </details>`
        : null
    }
    ${
      contact.messages?.length
        ? html`<ol class="messages">
            ${contact.messages.map(
              (m) => html`<li key=${m.id} class=${m.direction}>${m.text ?? '(attachment)'}</li>`,
            )}
          </ol>`
        : null
    }
  </div>`;
}

function HeldContact({ held, now, act, onDone }) {
  const [resolution, setResolution] = useState('resolved');
  const [notes, setNotes] = useState('');
  const [subject, setSubject] = useState('');
  const [panel, setPanel] = useState(null);
  const [result, setResult] = useState('');
  const connectedFor = (now - Date.parse(held.connectedAt)) / 1000;

  const complete = async (event) => {
    event.preventDefault();
    const ack = await act('contact:complete', {
      contactId: held.contactId,
      resolution,
      ...(notes.trim() ? { notes: notes.trim() } : {}),
      ...(subject.trim() ? { subject: subject.trim() } : {}),
    });
    if (ack.ok) {
      setResult(`completed${ack.wrapUpUntil ? `; wrap-up until ${when(ack.wrapUpUntil)}` : ''}`);
      onDone();
    } else setResult(ack.error);
  };
  return html`<article class="card held" data-testid="held-contact" data-contact-id=${held.contactId}>
    <header>
      <strong>${held.contact.channel} on ${held.contact.line}</strong>
      <span class="timer" data-testid="held-timer">${clock(connectedFor)}</span>
      ${held.endedReason ? html`<span class="tag warn">ended: ${held.endedReason}</span>` : null}
    </header>
    <${ContactDetails} contact=${held.contact} customer=${held.customer} story=${held.case} />
    <form class="complete" onSubmit=${complete}>
      <label
        >Resolution
        <select
          data-testid="complete-resolution"
          value=${resolution}
          onChange=${(e) => setResolution(e.currentTarget.value)}
        >
          ${RESOLUTIONS.map((r) => html`<option value=${r}>${r}</option>`)}
        </select></label
      >
      <label
        >Subject <input value=${subject} maxlength="200" onInput=${(e) => setSubject(e.currentTarget.value)}
      /></label>
      <label
        >Notes
        <textarea
          data-testid="complete-notes"
          maxlength="10000"
          rows="3"
          value=${notes}
          onInput=${(e) => setNotes(e.currentTarget.value)}
        ></textarea>
      </label>
      <div class="actions">
        <button class="primary" type="submit" data-testid="complete">Complete</button>
        <button type="button" onClick=${() => setPanel(panel === 'transfer' ? null : 'transfer')}>
          Transfer…
        </button>
        <button type="button" onClick=${() => setPanel(panel === 'callback' ? null : 'callback')}>
          Schedule callback…
        </button>
      </div>
    </form>
    ${panel === 'transfer' ? html`<${TransferForm} held=${held} act=${act} onDone=${setResult} />` : null}
    ${panel === 'callback' ? html`<${CallbackForm} held=${held} act=${act} onDone=${setResult} />` : null}
    ${result ? html`<p class="result" data-testid="held-result">${result}</p>` : null}
  </article>`;
}

function TransferForm({ held, act, onDone }) {
  const [kind, setKind] = useState('line');
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState('cold');
  const [note, setNote] = useState('');
  const submit = async (event) => {
    event.preventDefault();
    const to =
      kind === 'agent'
        ? { agentId: target.trim() }
        : kind === 'line'
          ? { line: target.trim() }
          : { caseOwner: true };
    const ack = await act('contact:transfer', {
      contactId: held.contactId,
      to,
      mode,
      ...(note.trim() ? { note: note.trim() } : {}),
    });
    onDone(ack.ok ? `transfer ${ack.transferId.slice(0, 8)} waiting on ${ack.line}` : ack.error);
  };
  return html`<form class="subform" data-testid="transfer-form" onSubmit=${submit}>
    <label
      >To
      <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
        <option value="line">a line</option>
        <option value="agent">an agent (id)</option>
        <option value="caseOwner">the case owner</option>
      </select></label
    >
    ${
      kind === 'caseOwner'
        ? null
        : html`<input
            placeholder=${kind === 'line' ? 'line, e.g. service' : 'agent id'}
            value=${target}
            onInput=${(e) => setTarget(e.currentTarget.value)}
          />`
    }
    <label
      >Mode
      <select value=${mode} onChange=${(e) => setMode(e.currentTarget.value)}>
        <option value="cold">cold (released at once)</option>
        <option value="warm">warm (stay until accepted)</option>
      </select></label
    >
    <input
      placeholder="note for who takes it"
      maxlength="2000"
      value=${note}
      onInput=${(e) => setNote(e.currentTarget.value)}
    />
    <button type="submit">Transfer</button>
  </form>`;
}

function CallbackForm({ held, act, onDone }) {
  const [windowStart, setWindowStart] = useState('');
  const [note, setNote] = useState('');
  const submit = async (event) => {
    event.preventDefault();
    const ack = await act('callback:schedule', {
      contactId: held.contactId,
      ...(windowStart ? { windowStart: new Date(windowStart).toISOString() } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    });
    onDone(ack.ok ? `callback scheduled, due ${when(ack.dueAt)}` : ack.error);
  };
  return html`<form class="subform" data-testid="callback-form" onSubmit=${submit}>
    <label
      >Not before
      <input
        type="datetime-local"
        value=${windowStart}
        onInput=${(e) => setWindowStart(e.currentTarget.value)}
    /></label>
    <input placeholder="note" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
    <button type="submit">Schedule</button>
  </form>`;
}

/*
 * The console's two doors into Tether: the admin REST API (this page's own origin, `Authorization: Bearer`) and the
 * gateway's socket.io (its URL from /console/config.json). Tokens live in sessionStorage: gone with the tab.
 */
import { io } from 'socket.io-client';

let configPromise;

/** `{ gatewayUrl }`: where socket.io is, as the server says or from this page's host and the gateway's port. */
export function consoleConfig() {
  configPromise ??= fetch('./config.json')
    .then((response) => {
      if (!response.ok) throw new Error(`config.json: ${response.status}`);
      return response.json();
    })
    .then((config) => ({
      gatewayUrl: config.gatewayUrl ?? `${location.protocol}//${location.hostname}:${config.gatewayPort}`,
    }));
  return configPromise;
}

const STORAGE = { staff: 'tether.console.staffToken', agent: 'tether.console.agentToken' };

export const tokens = {
  get: (kind) => sessionStorage.getItem(STORAGE[kind]) ?? '',
  set: (kind, token) => sessionStorage.setItem(STORAGE[kind], token),
  clear: (kind) => sessionStorage.removeItem(STORAGE[kind]),
};

/** An answer of the REST API: status, headers, parsed body (JSON when it is JSON, else text). */
export async function request(method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, ok: response.ok, headers: response.headers, body: parsed };
}

/** The message of an error answer (`message` may be a string or, from Nest, a list). */
export function errorText(answer) {
  const body = answer.body;
  if (body && typeof body === 'object') {
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    return `${answer.status} ${message ?? body.error ?? ''}`.trim();
  }
  return `${answer.status} ${String(body ?? '')}`.trim();
}

/** A socket on a gateway namespace (`/agents`, `/supervisors`), reconnecting as a real client does. */
export async function connectSocket(namespace, token) {
  const { gatewayUrl } = await consoleConfig();
  return io(`${gatewayUrl}${namespace}`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelayMax: 5000,
  });
}

/** An acknowledged event: the server's `{ ok, ... }`, or `{ ok: false, error }` when it does not answer in time. */
export async function emitAck(socket, event, payload, timeoutMs = 8000) {
  try {
    return await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    return { ok: false, error: `no answer to ${event} within ${timeoutMs / 1000} s` };
  }
}

/** A response with its body already read: JSON parsed when there is any, else `undefined`. */
export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  /** the raw body, for asserting on what is not JSON */
  text: string;
  headers: Headers;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  /** sent as is: callers decide whether it is JSON, so they can also send broken JSON */
  body?: string;
  timeoutMs?: number;
}

/**
 * fetch with the body read and parsed in one step, so a test reads `status` and `body` together and a failure
 * message can show both. The body is typed by the caller: it is what the server said, not checked here.
 */
export async function httpJson<T = unknown>(url: string, request: HttpRequest): Promise<HttpResponse<T>> {
  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

/** Thrown by the clients' convenience methods when the server answers something else than the expected status. */
export class UnexpectedResponse extends Error {
  constructor(
    what: string,
    readonly response: HttpResponse,
  ) {
    super(`${what}: HTTP ${response.status} ${response.text.slice(0, 500)}`);
    this.name = 'UnexpectedResponse';
  }
}

/** Returns the body when the status is the expected one, else throws with status and body in the message. */
export function expectStatus<T>(what: string, response: HttpResponse<T>, status: number): T {
  if (response.status !== status) throw new UnexpectedResponse(`${what} (expected ${status})`, response);
  return response.body;
}

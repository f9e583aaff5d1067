import { httpJson, type HttpResponse } from './http-json';
import { legacyTetherSignature, tetherSignature } from './tether-signature';
import type { CallView, HangupAnswer, MessageAnswer, StartCallBody } from './wire-types';

/**
 * How to sign a request: `valid` (v2, over method, path and body); `bad` (HMAC with another secret); `stale` /
 * `future` (a correct HMAC over a timestamp 301 s in the past / future, so only the time is wrong); `legacy` (the old
 * body-only v1 form, with the right secret); `missing` (no header).
 */
export type SignatureMode = 'valid' | 'bad' | 'stale' | 'future' | 'legacy' | 'missing';

export interface TelephonyRequestOptions {
  signature?: SignatureMode;
  /** send exactly this X-Tether-Signature instead of signing (a captured header, to replay it elsewhere) */
  signatureHeader?: string;
  /** give up (the request rejects) after this long; default 10 s */
  timeoutMs?: number;
  /** extra headers (`x-forwarded-for`, as a proxy in front of Tether sends it) */
  headers?: Record<string, string>;
}

/** A request as sent, with its answer: what a test needs to replay the signature somewhere else. */
export interface SentRequest<T> {
  response: HttpResponse<T>;
  method: string;
  path: string;
  rawBody: string;
  signatureHeader: string | undefined;
}

/** The IVR/telephony platform as Tether sees it: signed requests to one line app's /v1/telephony paths. */
export class TelephonyClient {
  /** every callId this client posted that Tether accepted, so a test can hang them all up afterwards */
  readonly callIds = new Set<string>();

  constructor(
    readonly lineUrl: string,
    private readonly secret: string,
  ) {}

  /** A call reached the line. A string body is sent as is (for invalid JSON and other malformed bodies). */
  async postCall(
    body: StartCallBody | string,
    options: TelephonyRequestOptions = {},
  ): Promise<HttpResponse<CallView>> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await this.send<CallView>('POST', '/v1/telephony/calls', raw, options);
    if ((response.status === 200 || response.status === 201) && typeof body !== 'string')
      this.callIds.add(body.callId);
    return response;
  }

  postEvent(
    callId: string,
    type: string,
    options: TelephonyRequestOptions = {},
  ): Promise<HttpResponse<CallView>> {
    return this.send('POST', eventsPath(callId), JSON.stringify({ type }), options);
  }

  /** 200 with the call, or 202 when this line has not seen the call yet (the hang-up is remembered). */
  hangup(callId: string, options: TelephonyRequestOptions = {}): Promise<HttpResponse<HangupAnswer>> {
    return this.send('POST', eventsPath(callId), JSON.stringify({ type: 'hangup' }), options);
  }

  /** A messaging platform posts a customer's message (POST /v1/messages). */
  postMessage(body: unknown, options: TelephonyRequestOptions = {}): Promise<HttpResponse<MessageAnswer>> {
    return this.send('POST', '/v1/messages', JSON.stringify(body), options);
  }

  /** The caller confirmed a callback (`{}` keeps their place; a window asks for a time). */
  requestCallback(
    callId: string,
    body: { window?: { start?: string; end?: string }; number?: string } = {},
    options: TelephonyRequestOptions = {},
  ): Promise<HttpResponse<CallView>> {
    return this.send('POST', `${callPath(callId)}/callback`, JSON.stringify(body), options);
  }

  getCall(callId: string, options: TelephonyRequestOptions = {}): Promise<HttpResponse<CallView>> {
    return this.send('GET', callPath(callId), '', options);
  }

  /**
   * Any request to this line app, signed as `options` say, answered with what was sent: a test replays the
   * `signatureHeader` of one request against another method, path, body or line.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    rawBody = '',
    options: TelephonyRequestOptions = {},
  ): Promise<SentRequest<T>> {
    const signatureHeader = options.signatureHeader ?? this.sign(method, path, rawBody, options.signature);
    const response = await this.send<T>(method, path, rawBody, { ...options, signatureHeader });
    return { response, method, path, rawBody, signatureHeader };
  }

  private send<T>(
    method: string,
    path: string,
    raw: string,
    options: TelephonyRequestOptions,
  ): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const signature = options.signatureHeader ?? this.sign(method, path, raw, options.signature);
    if (signature !== undefined) headers['x-tether-signature'] = signature;
    return httpJson<T>(`${this.lineUrl}${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : raw,
      timeoutMs: options.timeoutMs,
    });
  }

  private sign(method: string, path: string, raw: string, mode: SignatureMode = 'valid'): string | undefined {
    const now = Math.floor(Date.now() / 1000);
    switch (mode) {
      case 'valid':
        return tetherSignature(this.secret, method, path, raw, now);
      case 'bad':
        return tetherSignature(`not-${this.secret}`, method, path, raw, now);
      case 'stale':
        return tetherSignature(this.secret, method, path, raw, now - 301);
      case 'future':
        return tetherSignature(this.secret, method, path, raw, now + 301);
      case 'legacy':
        return legacyTetherSignature(this.secret, raw, now);
      case 'missing':
        return undefined;
    }
  }
}

const callPath = (callId: string): string => `/v1/telephony/calls/${encodeURIComponent(callId)}`;
const eventsPath = (callId: string): string => `${callPath(callId)}/events`;

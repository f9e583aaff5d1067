import { httpJson, type HttpResponse } from './http-json';
import { tetherSignature } from './tether-signature';
import type { CallView, StartCallBody } from './wire-types';

/**
 * How to sign a request: `valid`; `bad` (HMAC with another secret); `stale` / `future` (a correct HMAC over a
 * timestamp 301 s in the past / future, so only the time is wrong); `missing` (no header).
 */
export type SignatureMode = 'valid' | 'bad' | 'stale' | 'future' | 'missing';

export interface TelephonyRequestOptions {
  signature?: SignatureMode;
  /** give up (the request rejects) after this long; default 10 s */
  timeoutMs?: number;
  /** extra headers (`x-forwarded-for`, as a proxy in front of Tether sends it) */
  headers?: Record<string, string>;
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
    return this.send(
      'POST',
      `/v1/telephony/calls/${encodeURIComponent(callId)}/events`,
      JSON.stringify({ type }),
      options,
    );
  }

  hangup(callId: string, options: TelephonyRequestOptions = {}): Promise<HttpResponse<CallView>> {
    return this.postEvent(callId, 'hangup', options);
  }

  getCall(callId: string, options: TelephonyRequestOptions = {}): Promise<HttpResponse<CallView>> {
    return this.send('GET', `/v1/telephony/calls/${encodeURIComponent(callId)}`, '', options);
  }

  private send<T>(
    method: string,
    path: string,
    raw: string,
    options: TelephonyRequestOptions,
  ): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const signature = this.sign(raw, options.signature ?? 'valid');
    if (signature !== undefined) headers['x-tether-signature'] = signature;
    return httpJson<T>(`${this.lineUrl}${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : raw,
      timeoutMs: options.timeoutMs,
    });
  }

  private sign(raw: string, mode: SignatureMode): string | undefined {
    const now = Math.floor(Date.now() / 1000);
    switch (mode) {
      case 'valid':
        return tetherSignature(this.secret, raw, now);
      case 'bad':
        return tetherSignature(`not-${this.secret}`, raw, now);
      case 'stale':
        return tetherSignature(this.secret, raw, now - 301);
      case 'future':
        return tetherSignature(this.secret, raw, now + 301);
      case 'missing':
        return undefined;
    }
  }
}

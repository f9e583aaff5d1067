import { expectStatus, httpJson, type HttpResponse } from './http-json';
import type {
  AgentTokenView,
  AgentView,
  CaseView,
  IssuedAgentToken,
  CustomerExportView,
  CustomerView,
  Line,
  NewAgentBody,
  NewCustomerBody,
  RoutingRules,
  RoutingRulesView,
} from './wire-types';

export interface AdminRequestOptions {
  /** another bearer token for this request; `null` sends no Authorization header */
  token?: string | null;
  /** extra headers (`x-forwarded-for`, as a proxy in front of Tether sends it) */
  headers?: Record<string, string>;
}

/**
 * The admin REST API with a bearer token. The named methods are for arranging a test and throw on an unexpected
 * status (with the body in the message); assertions about statuses and error bodies go through `request`.
 */
export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  /** Any request; an object body is sent as JSON, a string body as is. */
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: AdminRequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return httpJson<T>(`${this.baseUrl}${path}`, { method, headers, body: raw });
  }

  async createAgent(input: NewAgentBody): Promise<AgentView> {
    return expectStatus('create agent', await this.request<AgentView>('POST', '/v1/agents', input), 201);
  }

  async getCase(id: string): Promise<CaseView> {
    return expectStatus('get case', await this.request<CaseView>('GET', `/v1/cases/${id}`), 200);
  }

  async listCases(query: Record<string, string> = {}): Promise<CaseView[]> {
    const qs = new URLSearchParams(query).toString();
    return expectStatus(
      'list cases',
      await this.request<CaseView[]>('GET', `/v1/cases${qs ? `?${qs}` : ''}`),
      200,
    );
  }

  async patchCase(id: string, changes: Record<string, unknown>): Promise<CaseView> {
    return expectStatus('patch case', await this.request<CaseView>('PATCH', `/v1/cases/${id}`, changes), 200);
  }

  async getAgent(id: string): Promise<AgentView> {
    return expectStatus('get agent', await this.request<AgentView>('GET', `/v1/agents/${id}`), 200);
  }

  async patchAgent(id: string, changes: Partial<NewAgentBody>): Promise<AgentView> {
    return expectStatus(
      'patch agent',
      await this.request<AgentView>('PATCH', `/v1/agents/${id}`, changes),
      200,
    );
  }

  async deleteAgent(id: string): Promise<void> {
    expectStatus('delete agent', await this.request('DELETE', `/v1/agents/${id}`), 204);
  }

  async issueToken(agentId: string): Promise<string> {
    return (await this.issueAgentToken(agentId)).token;
  }

  /** The token with its id (to list or revoke it) and expiry. */
  async issueAgentToken(agentId: string): Promise<IssuedAgentToken> {
    return expectStatus(
      'issue token',
      await this.request<IssuedAgentToken>('POST', `/v1/agents/${agentId}/tokens`),
      201,
    );
  }

  async listTokens(agentId: string): Promise<AgentTokenView[]> {
    return expectStatus(
      'list tokens',
      await this.request<AgentTokenView[]>('GET', `/v1/agents/${agentId}/tokens`),
      200,
    );
  }

  async revokeToken(agentId: string, tokenId: string): Promise<void> {
    expectStatus(
      'revoke token',
      await this.request('DELETE', `/v1/agents/${agentId}/tokens/${tokenId}`),
      204,
    );
  }

  async revokeTokens(agentId: string): Promise<void> {
    expectStatus('revoke tokens', await this.request('DELETE', `/v1/agents/${agentId}/tokens`), 204);
  }

  async createCustomer(input: NewCustomerBody): Promise<{ id: string }> {
    return expectStatus(
      'create customer',
      await this.request<{ id: string }>('POST', '/v1/customers', input),
      201,
    );
  }

  async getCustomer(id: string): Promise<CustomerView> {
    return expectStatus('get customer', await this.request<CustomerView>('GET', `/v1/customers/${id}`), 200);
  }

  async exportCustomer(id: string): Promise<CustomerExportView> {
    return expectStatus(
      'export customer',
      await this.request<CustomerExportView>('GET', `/v1/customers/${id}/export`),
      200,
    );
  }

  async eraseCustomer(id: string): Promise<void> {
    expectStatus('erase customer', await this.request('DELETE', `/v1/customers/${id}`), 204);
  }

  async getRouting(line: Line): Promise<RoutingRulesView> {
    return expectStatus(
      'get routing',
      await this.request<RoutingRulesView>('GET', `/v1/lines/${line}/routing`),
      200,
    );
  }

  async putRouting(line: Line, rules: RoutingRules): Promise<RoutingRulesView> {
    return expectStatus(
      'put routing',
      await this.request<RoutingRulesView>('PUT', `/v1/lines/${line}/routing`, rules),
      200,
    );
  }
}

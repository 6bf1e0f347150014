/** One answer of the demo. */
export interface DemoResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A user of the demo over HTTP: signs in once, then sends its bearer token on every call. */
export class DemoClient {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  /** Signs in as the seeded user `email` (ada@, alan@, grace@ or linus@example.com). */
  static async login(base: string, email: string): Promise<DemoClient> {
    const response = await new DemoClient(base).post('/auth/login', { email });
    if (response.status !== 200) throw new Error(`login of ${email}: ${response.status}`);
    return new DemoClient(base, response.body.token);
  }

  /** The same user against another instance. */
  on(base: string): DemoClient {
    return new DemoClient(base, this.token);
  }

  get<T = any>(path: string): Promise<DemoResponse<T>> {
    return this.call('GET', path);
  }
  post<T = any>(path: string, body?: unknown): Promise<DemoResponse<T>> {
    return this.call('POST', path, body);
  }
  put<T = any>(path: string, body?: unknown): Promise<DemoResponse<T>> {
    return this.call('PUT', path, body);
  }
  patch<T = any>(path: string, body?: unknown): Promise<DemoResponse<T>> {
    return this.call('PATCH', path, body);
  }
  delete<T = any>(path: string): Promise<DemoResponse<T>> {
    return this.call('DELETE', path);
  }

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<DemoResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (metrics, the dashboard): the text itself.
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}

// @innova/api-client: the operations, types and zod schemas generated from the contract
// (src/generated/, by scripts/gen-ts-client — never edited by hand), and the one hand-written
// part, this thin wrapper: where the API is, how a request gets its bearer token, and how an
// answer becomes its `data` or a typed error.
//
//   const api = createInnovaClient({ baseUrl, token: () => session?.accessToken });
//   const me = await unwrap(authMe({ client: api }));   // Me, or throws InnovaApiError

import { type Client, createClient, createConfig } from './generated/client/index.js';
import { client as defaultClient } from './generated/client.gen.js';
import type { ErrorBody } from './generated/types.gen.js';

export * from './generated/sdk.gen.js';
export type * from './generated/types.gen.js';
export * as schemas from './generated/zod.gen.js';
export type { Client } from './generated/client/index.js';

/** The bearer token for the next request (`null`/`undefined`: none is sent). */
export type TokenProvider = () =>
  | string
  | null
  | undefined
  | Promise<string | null | undefined>;

export interface InnovaClientOptions {
  /** Where the API is, e.g. `https://api.superprofes.app` or `http://localhost:3000`. */
  baseUrl: string;
  /**
   * Called before every operation that requires authentication (every operation whose
   * contract lists `bearerAuth`), e.g. `() => supabase.auth.getSession().then((s) =>
   * s.data.session?.access_token)`.
   */
  token?: TokenProvider;
  /** A `fetch` to use instead of the global one (tests, React Native polyfills). */
  fetch?: typeof fetch;
  /** `credentials` of every request (`'include'` to send cookies cross-origin). */
  credentials?: RequestCredentials;
}

function config(options: InnovaClientOptions) {
  const { baseUrl, token, fetch, credentials } = options;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    // The generated functions call it for the operations that declare `bearerAuth`.
    auth: token ? async () => (await token()) ?? undefined : undefined,
    ...(fetch ? { fetch } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/**
 * A client of its own, to pass to the operations as `{ client }`: one per API, user or test.
 */
export function createInnovaClient(options: InnovaClientOptions): Client {
  return createClient(createConfig(config(options)));
}

/** Configures the default client, the one an operation uses when no `client` is given. */
export function configureInnovaClient(options: InnovaClientOptions): Client {
  defaultClient.setConfig(config(options));
  return defaultClient;
}

/** A failed request: the API's error body (`ErrorBody`), or what could be read of the answer. */
export class InnovaApiError extends Error {
  override readonly name = 'InnovaApiError';
  /** The HTTP status. */
  readonly statusCode: number;
  /** What the API said: one message, or one per invalid field (validation failures). */
  readonly messages: string | string[];
  /** Machine-readable code (`Not Found`, `INTERNAL_ERROR`, …); `HTTP_<status>` without a body. */
  readonly code: string;
  /** The request's trace id (body `traceId`, else the `x-trace-id` header): quote it in reports. */
  readonly traceId: string | undefined;
  /** The request path, as the API saw it. */
  readonly path: string | undefined;
  /** The error body as received (`undefined` when it was not JSON). */
  readonly body: unknown;

  constructor(statusCode: number, body: unknown, response?: Response) {
    const error = isErrorBody(body) ? body : undefined;
    const messages = error?.message ?? (response?.statusText || `HTTP ${statusCode}`);
    super(Array.isArray(messages) ? messages.join('; ') : messages);
    this.statusCode = statusCode;
    this.messages = messages;
    this.code = error?.code ?? `HTTP_${statusCode}`;
    this.traceId = error?.traceId ?? response?.headers.get('x-trace-id') ?? undefined;
    this.path = error?.path;
    this.body = body;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.statusCode === 'number' &&
    typeof b.code === 'string' &&
    (typeof b.message === 'string' || Array.isArray(b.message))
  );
}

/** What a generated operation resolves to (`throwOnError` left false). */
interface Outcome<TEnvelope> {
  data?: TEnvelope;
  error?: unknown;
  response?: Response;
}

/**
 * Awaits an operation and returns the `data` of its success envelope
 * (`{ statusCode, data, timestamp, path, traceId }`). Throws {@link InnovaApiError} for an
 * error answer, and the network error (a `TypeError` from fetch) when there was no answer.
 * Invalid requests and responses that break the contract throw zod's `ZodError`.
 */
export async function unwrap<TData>(
  call: Promise<Outcome<{ data: TData }>>,
): Promise<TData> {
  const outcome = await call;
  const { response } = outcome;
  if (!response) throw outcome.error;
  if (!response.ok) throw new InnovaApiError(response.status, outcome.error, response);
  if (outcome.data === undefined) {
    throw new InnovaApiError(response.status, undefined, response);
  }
  return outcome.data.data;
}

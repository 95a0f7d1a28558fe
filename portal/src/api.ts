// The portal's calls: the repository's typed client (client/, openapi-fetch over the API contract) with
// the session's token as its bearer. Every call is typed by the contract; an error answer becomes an
// ApiProblem carrying the API's own code, message and field, so a tab can show the precise reason.
import { createRefillClient, type RefillClient } from '../../client/index.ts';

/** What went wrong with a call: the API's error body, or `network_error` when no answer came. */
export class ApiProblem extends Error {
  readonly code: string;
  readonly field: string | undefined;
  /** The HTTP status, or 0 when the network failed. */
  readonly status: number;
  constructor(code: string, message: string, status: number, field?: string) {
    super(message);
    this.code = code;
    this.status = status;
    this.field = field;
  }
}

export interface PortalApi {
  /** The typed client: `api.client.GET('/v1/balance')`. */
  client: RefillClient;
  /** The data of a call, or throws ApiProblem: `await api.data(api.client.GET('/v1/balance'))`. */
  data<Data>(call: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data>;
}

function problemOf(error: unknown, status: number): ApiProblem {
  const body = (error as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error;
  if (body !== undefined && typeof body.code === 'string' && typeof body.message === 'string') {
    return new ApiProblem(body.code, body.message, status, typeof body.field === 'string' ? body.field : undefined);
  }
  return new ApiProblem('unexpected_answer', `The server answered ${status}.`, status);
}

/** The API for a session; `onSessionEnded` runs when an answer says the token is no longer good. */
export function createPortalApi(token: string, onSessionEnded: () => void): PortalApi {
  const client = createRefillClient({ baseUrl: window.location.origin, token });
  return {
    client,
    async data(call) {
      let answer: Awaited<typeof call>;
      try {
        answer = await call;
      } catch {
        throw new ApiProblem('network_error', 'The server could not be reached.', 0);
      }
      if (answer.response.ok && answer.error === undefined) return answer.data as never;
      if (answer.response.status === 401) onSessionEnded();
      throw problemOf(answer.error, answer.response.status);
    },
  };
}

/** A new key for one attempt to create something (Idempotency-Key). */
export function newIdempotencyKey(label: string): string {
  return `portal-${label}-${crypto.randomUUID()}`;
}

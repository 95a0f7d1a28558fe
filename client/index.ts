// The typed TypeScript client of the Refill API: openapi-fetch over the types openapi-typescript
// generates from the contract (client/schema.ts, from client/openapi.json; `npm run client`). Every path,
// parameter, body and answer is typed from the same zod schemas the API validates with.
//
//   const refill = createRefillClient({ baseUrl: 'http://localhost:3000', token: apiKey });
//   const { data, error } = await refill.GET('/v1/balance');
//   if (data) console.log(data.available, data.currency);
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.ts';

export type { components, operations, paths };
export type RefillClient = Client<paths>;
/** Any object of the contract by its schema name: `RefillObject<'Order'>`. */
export type RefillObject<Name extends keyof components['schemas']> = components['schemas'][Name];

export interface RefillClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API is, such as http://localhost:3000. */
  baseUrl: string;
  /** A customer's API key (`rfk_…`) for /v1, or an operator's token for /admin. */
  token?: string;
}

/** A client of one API for one token; every call is typed by the contract. */
export function createRefillClient(options: RefillClientOptions): RefillClient {
  const { token, headers, ...rest } = options;
  return createClient<paths>({
    ...rest,
    headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...(headers as Record<string, string> | undefined) },
  });
}

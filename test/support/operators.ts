// The operators the test API knows (its ADMIN_TOKENS), each with a token of its own, so that a test
// acts as a named person the way ops do. The single admin token (testAdminToken) is the operator admin.

/** Everyone the tests act as. */
export const testOperatorNames = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'ops-alice', 'ops-bob'] as const;
export type TestOperatorName = (typeof testOperatorNames)[number];

/** The token of a test operator; asking for one the test API does not know is a mistake in the test. */
export function testOperatorToken(name: string): string {
  if (!(testOperatorNames as readonly string[]).includes(name)) throw new Error(`the test API has no operator ${name}`);
  return `test-operator-token-${name}-0123456789abcdef`;
}

/** ADMIN_TOKENS of the test API. */
export const testAdminTokensVariable = testOperatorNames.map((name) => `${name}:${testOperatorToken(name)}`).join(',');

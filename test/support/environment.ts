// What scripts/test.ts hands to every test file: the throwaway servers' addresses.
function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests with \`npm test\` (or \`npm test -- <file filter>\`)`);
  }
  return value;
}

export function testDatabaseUrl(): string {
  return required('REFILL_TEST_DATABASE_URL');
}

export function testTemporalAddress(): string {
  return required('REFILL_TEST_TEMPORAL_ADDRESS');
}

export function testStripeApiBase(): string {
  return required('REFILL_TEST_STRIPE_API_BASE');
}

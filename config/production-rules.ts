// What REFILL_ENV=production requires beyond a valid environment: no sandbox provider, a generated
// admin token, an https base URL. config.ts reports the first of these issues as its one line.

/** `production` refuses the sandbox provider and every development default that would be unsafe there. */
export const refillEnvironments = ['development', 'test', 'production'] as const;
export type RefillEnvironment = (typeof refillEnvironments)[number];

const minimumProductionAdminTokenLength = 32;
const minimumDistinctCharactersOfSecret = 8;
const placeholderWords = ['change', 'example', 'default', 'password', 'placeholder', 'secret', 'sample'];

/**
 * Why a token is not fit to guard production's /admin routes, or null when it is: at least 32
 * characters that look generated (many distinct characters, no long runs or sequences, no placeholder
 * words), such as the output of `openssl rand -hex 24`. A heuristic: it catches the values people
 * type, not a determined choice of a weak token.
 */
export function weakSecretReason(token: string): string | null {
  if (token.length < minimumProductionAdminTokenLength) return `is shorter than ${minimumProductionAdminTokenLength} characters`;
  if (new Set(token).size < minimumDistinctCharactersOfSecret) return 'has too few distinct characters to be random';
  // Long enough that a generated token almost never trips them (below one in a million for hex).
  if (/(.)\1{7}/.test(token)) return 'repeats a character eight times in a row';
  if (hasRunOfConsecutiveCharacters(token, 8)) return 'contains a run of consecutive characters such as 12345678 or abcdefgh';
  const lower = token.toLowerCase();
  const word = placeholderWords.find((placeholder) => lower.includes(placeholder));
  if (word !== undefined) return `contains the placeholder word "${word}"`;
  return null;
}

function hasRunOfConsecutiveCharacters(text: string, runLength: number): boolean {
  let ascending = 1;
  let descending = 1;
  for (let index = 1; index < text.length; index += 1) {
    const step = text.charCodeAt(index) - text.charCodeAt(index - 1);
    ascending = step === 1 ? ascending + 1 : 1;
    descending = step === -1 ? descending + 1 : 1;
    if (ascending >= runLength || descending >= runLength) return true;
  }
  return false;
}

interface ProductionRelevant {
  STRIPE_SECRET_KEY?: string | undefined;
  STRIPE_WEBHOOK_SECRET?: string | undefined;
  ADMIN_TOKEN?: string | undefined;
  // Another variable's parsed form; only whether it is set matters here.
  ADMIN_TOKENS?: unknown;
  PUBLIC_BASE_URL?: string | undefined;
}

/** What production requires beyond a valid environment, in the order they are reported. */
export function productionIssues(environment: ProductionRelevant): { code: 'custom'; path: string[]; message: string }[] {
  const issues: { code: 'custom'; path: string[]; message: string }[] = [];
  const add = (variable: string, message: string) => issues.push({ code: 'custom', path: [variable], message });
  if (environment.STRIPE_SECRET_KEY === undefined) {
    add('STRIPE_SECRET_KEY', 'must be set when REFILL_ENV is production: the sandbox payment provider does not run in production');
  }
  if (environment.STRIPE_WEBHOOK_SECRET === undefined) {
    add('STRIPE_WEBHOOK_SECRET', 'must be set when REFILL_ENV is production, or webhooks cannot be verified');
  }
  // Named admin tokens (ADMIN_TOKENS) are validated where they are parsed; a single token is checked here.
  const adminTokenProblem = environment.ADMIN_TOKEN === undefined ? null : weakSecretReason(environment.ADMIN_TOKEN);
  if (adminTokenProblem !== null) {
    add('ADMIN_TOKEN', `${adminTokenProblem}; REFILL_ENV production needs a generated token, e.g. from \`openssl rand -hex 24\``);
  } else if (environment.ADMIN_TOKEN === undefined && environment.ADMIN_TOKENS === undefined) {
    add('ADMIN_TOKEN', 'must be set (or ADMIN_TOKENS) when REFILL_ENV is production');
  }
  if (environment.PUBLIC_BASE_URL === undefined || new URL(environment.PUBLIC_BASE_URL).protocol !== 'https:') {
    add('PUBLIC_BASE_URL', 'must be an https:// URL when REFILL_ENV is production: customers and Stripe reach the API there');
  }
  return issues;
}

// Holds every response the suite receives to the API contract (GET /openapi.json, built from the route
// modules' operations): its status must be one the operation declares, its content type one declared
// for that status, its JSON body valid against the declared schema (ajv, JSON Schema 2020-12 as OpenAPI
// 3.1 uses), and its required headers present. A path no operation serves must be refused (4xx) in the
// error shape. test/support/api.ts calls it on every answer, so every test checks the contract too.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../api/openapi/operations.ts';

interface ResponseObject {
  headers?: Record<string, { $ref?: string; required?: boolean }>;
  content?: Record<string, { schema?: unknown }>;
}

interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments count first: `/v1/holds/{id}` loses to a literal path of the same length. */
  literalSegments: number;
  operation: OperationObject;
}

export interface ContractCheck {
  method: string;
  /** The path as requested, with or without its query. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

type Document = ReturnType<typeof openApiDocument> & { paths: Record<string, Record<string, OperationObject>>; components: { headers: Record<string, { required?: boolean }> } };

const documentId = 'refill-openapi.json';

function routesOf(document: Document): Route[] {
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    const segments = template.split('/');
    const pattern = new RegExp(`^${segments.map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
    const literalSegments = segments.filter((segment) => !segment.startsWith('{')).length;
    for (const [method, operation] of Object.entries(operations)) routes.push({ method: method.toUpperCase(), template, pattern, literalSegments, operation });
  }
  return routes.sort((left, right) => right.literalSegments - left.literalSegments);
}

/** The checker for one document: ajv compiles each schema the first time a response needs it. */
function createChecker(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema(document, documentId);
  const routes = routesOf(document);
  const validators = new Map<string, ValidateFunction>();

  function validatorFor(pointer: string): ValidateFunction {
    let validate = validators.get(pointer);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `${documentId}#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  }

  return function check(response: ContractCheck): void {
    // As the client sent it: dot segments resolved, the query left out; and one trailing slash dropped,
    // since Express's routing is not strict (`/docs/assets/..` arrives as `/docs/`, which /docs answers).
    const pathOnly = new URL(response.path, 'http://contract.invalid').pathname.replace(/(?<=.)\/$/, '');
    const method = response.method.toUpperCase();
    const route = routes.find((candidate) => candidate.method === method && candidate.pattern.test(pathOnly));
    const what = `${method} ${response.path} → ${response.status}`;
    if (route === undefined) {
      // Authentication and the body checks run before routes are matched: any refusal, in the error shape.
      if (response.status < 400 || response.status > 499) throw new Error(`contract: ${what}, a path no operation of the contract serves`);
      checkBody(what, '/components/schemas/Error', response);
      return;
    }
    // A request too slow or with headers too large is refused before any route (408, 431): in the error shape.
    if (response.status === 408 || response.status === 431) return checkBody(what, '/components/schemas/Error', response);
    const declared = route.operation.responses[String(response.status)];
    if (declared === undefined) {
      throw new Error(`contract: ${what}, a status ${route.operation.operationId} does not declare (${Object.keys(route.operation.responses).join(', ')})`);
    }
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      const required = header.$ref === undefined ? header.required === true : document.components.headers[header.$ref.split('/').at(-1)!]?.required === true;
      if (required && response.headers.get(name) === null) throw new Error(`contract: ${what} lacks the ${name} header the contract requires`);
    }
    if (declared.content === undefined) {
      if (response.text !== '') throw new Error(`contract: ${what} has a body where the contract declares none`);
      return;
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!(mediaType in declared.content)) {
      throw new Error(`contract: ${what} is ${mediaType || 'untyped'}, not ${Object.keys(declared.content).join(' or ')}`);
    }
    if (mediaType !== 'application/json') return;
    const pointer = `/paths/${escapePointer(route.template)}/${method.toLowerCase()}/responses/${response.status}/content/${escapePointer(mediaType)}/schema`;
    checkBody(what, pointer, response);
  };

  function checkBody(what: string, pointer: string, response: ContractCheck): void {
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new Error(`contract: ${what} is not JSON: ${response.text.slice(0, 200)}`);
    }
    const validate = validatorFor(pointer);
    if (!validate(body)) {
      throw new Error(`contract: ${what} does not match its schema: ${ajv.errorsText(validate.errors)} in ${response.text.slice(0, 500)}`);
    }
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

let checker: ReturnType<typeof createChecker> | null = null;

/** Throws, naming the operation and the difference, when the response is not what the contract says. */
export function checkAgainstContract(response: ContractCheck): void {
  checker ??= createChecker(openApiDocument() as Document);
  checker(response);
}

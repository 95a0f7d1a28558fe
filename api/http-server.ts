// The API's HTTP server: timeouts suited to an API (a slow or stalled client is cut off in seconds, not
// Node's minutes), and the requests Node itself refuses before Express sees them (malformed request
// lines, headers or chunking; oversized headers; timeouts) answered in the API's JSON error shape.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpEdgeConfig } from '../config/config.ts';
import { errorCodes, type ErrorCode } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { requestIdHeader } from './request-context.ts';

/** How often Node looks for connections past their headers or request timeout; its default is 30 s. */
const maximumTimeoutCheckIntervalMilliseconds = 1_000;

/** An HTTP server for the app with the configured timeouts and the client error handler. */
export function createHttpServer(app: RequestListener, timeouts: HttpEdgeConfig['timeouts'], logger: Logger): Server {
  const server = createServer(
    {
      // Node would answer an HTTP/1.1 request without Host with a bare 400; refuseMissingHost answers it as JSON.
      requireHostHeader: false,
      headersTimeout: timeouts.headersMilliseconds,
      requestTimeout: timeouts.requestMilliseconds,
      keepAliveTimeout: timeouts.keepAliveMilliseconds,
      // Checked at a fraction of the shortest timeout, so a connection is closed close to its deadline.
      connectionsCheckingInterval: Math.min(maximumTimeoutCheckIntervalMilliseconds, Math.ceil(timeouts.headersMilliseconds / 4)),
    },
    refuseMissingHost(app),
  );
  attachClientErrorHandler(server, logger);
  return server;
}

/** HTTP/1.1 requires a Host header (RFC 9112, section 3.2); a request without one is refused in the JSON shape. */
function refuseMissingHost(app: RequestListener): RequestListener {
  return (request, response) => {
    if (request.httpVersion !== '1.1' || request.headers.host !== undefined) return app(request, response);
    const requestId = randomUUID();
    const body = JSON.stringify({ error: { code: 'invalid_request', message: 'An HTTP/1.1 request needs a Host header.' } });
    response.writeHead(errorCodes.invalid_request.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      [requestIdHeader]: requestId,
      Connection: 'close',
    });
    response.end(body);
  };
}

interface ClientError extends Error {
  code?: string;
  /** llhttp's description of a parse error, such as "Invalid header value char". */
  reason?: string;
}

/** The status and code of a request Node refused, and what the client is told. */
function describeClientError(error: ClientError): { code: ErrorCode; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'request_headers_too_large', message: 'The request headers are larger than the server accepts.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'The request did not arrive in time; the connection is closed.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'payload_too_large', message: 'The chunk extensions are larger than the server accepts.' };
    default: {
      const reason = typeof error.reason === 'string' && /^[\x20-\x7e]{1,200}$/.test(error.reason) ? ` (${error.reason})` : '';
      return { code: 'invalid_request', message: `The request is not valid HTTP/1.1${reason}.` };
    }
  }
}

/** The raw HTTP response to a refused request: the JSON error shape, and the connection closed. */
export function clientErrorResponse(code: ErrorCode, message: string, requestId: string): string {
  const status = errorCodes[code].status;
  const body = JSON.stringify({ error: { code, message } });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    `${requestIdHeader}: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** True while a response on this socket has begun: writing another would corrupt what the client reads. */
function responseStarted(socket: Duplex): boolean {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return inFlight?.headersSent === true;
}

/**
 * Answers the requests Node's HTTP parser refuses (it would send a bare 400 or 431 with no body) in the
 * JSON error shape, with a request id, and closes the connection: after a parse error nothing more on
 * it can be trusted.
 */
export function attachClientErrorHandler(server: Server, logger: Logger): void {
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const { code, message } = describeClientError(error);
    logger.info({ requestId, errorCode: code, parserError: error.code }, 'malformed request refused');
    // Closed once the answer is flushed: a client that keeps sending is not waited for.
    socket.end(clientErrorResponse(code, message, requestId), () => socket.destroy());
  });
}

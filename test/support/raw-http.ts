// Raw HTTP over a TCP socket, for requests no HTTP client would send (malformed framing, slow senders).
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, as latin1 text. */
  raw: string;
}

export interface RawConnection {
  socket: net.Socket;
  /** Resolves once the server has closed the connection, with everything it wrote; rejects past the deadline. */
  closed(deadlineMilliseconds: number): Promise<string>;
}

/** Opens a connection to the server at `baseUrl` (http://host:port). */
export async function openRawConnection(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  let closedByServer = false;
  const closing = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closedByServer = true;
      resolve();
    });
  });
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  // The server may close while bytes are still being sent; what it wrote before is what matters.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    async closed(deadlineMilliseconds) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMilliseconds);
      });
      await Promise.race([closing, deadline]);
      clearTimeout(timer);
      if (!closedByServer) {
        socket.destroy();
        throw new Error(`the server did not close the connection within ${deadlineMilliseconds} ms; it wrote ${JSON.stringify(received.slice(0, 300))}`);
      }
      return received;
    },
  };
}

/** The first response in what a server wrote. */
export function parseRawResponse(raw: string): RawResponse {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd === -1) throw new Error(`no HTTP response in ${JSON.stringify(raw.slice(0, 300))}`);
  const [statusLine, ...headerLines] = raw.slice(0, headerEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? raw.length - headerEnd - 4);
  const body = Buffer.from(raw.slice(headerEnd + 4), 'latin1').subarray(0, length).toString('utf8');
  return { status, headers, body, raw };
}

/** Sends the bytes on a new connection, waits for the server to close it, and returns its response. */
export async function rawExchange(baseUrl: string, request: string | Buffer, deadlineMilliseconds = 5_000): Promise<RawResponse> {
  const connection = await openRawConnection(baseUrl);
  connection.socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  return parseRawResponse(await connection.closed(deadlineMilliseconds));
}

// A local inbox for the mail the system sends during development and tests: an SMTP server that accepts
// everything, keeps the newest messages (in memory and, optionally, as .eml files) and shows them on a
// small web page, so receipts can be read without a real mail provider.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { Server as NetServer } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { AddressObject, Attachment, ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerEnvelope, SMTPServerSession } from 'smtp-server';

/** Larger messages are refused with 552, as a real provider would; 25 MiB is the common provider limit. */
export const maximumMessageSizeBytes = 25 * 1024 * 1024;
/** Older messages are forgotten (and not loaded from the storage folder) beyond this many. */
export const maximumKeptMessages = 200;
/** More recipients in one transaction are refused with 452, so one message cannot grow without bound. */
export const maximumRecipientsPerMessage = 100;
/** The longest a caller may wait for a message; tests should fail long before this. */
export const maximumWaitMilliseconds = 10 * 60 * 1_000;
/** Open SMTP connections get this long to finish when the inbox stops, then they are cut. */
const closeTimeoutMilliseconds = 1_000;
/** More simultaneous SMTP clients are turned away; the system sends one message at a time per activity. */
const maximumSmtpClients = 100;
const defaultHost = '127.0.0.1';

export interface MailInboxOptions {
  /** 0 lets the operating system pick a free port; `smtpUrl` then names the chosen one. */
  smtpPort: number;
  /** Null for no web view. */
  webPort: number | null;
  /** Null keeps mail in memory only; otherwise each message is also an .eml file here and survives restarts. */
  storageDirectory: string | null;
  /** Interface both servers listen on; loopback unless stated, since the inbox has no authentication. */
  host?: string;
  log?: (line: string) => void;
}

export interface ReceivedMail {
  id: string;
  receivedAt: Date;
  /** Address from MAIL FROM; empty for a bounce (null reverse path). */
  envelopeFrom: string;
  /** Addresses from RCPT TO, including Bcc recipients, which no header shows. */
  envelopeTo: string[];
  /** The stored message: the bytes received, after the Return-Path and Envelope-To delivery headers. */
  raw: Buffer;
  parsed: ParsedMail;
}

export interface MailInbox {
  /** smtp://host:port, for SMTP_URL. */
  smtpUrl: string;
  /** http://host:port of the web view, or null when there is none. */
  webUrl: string | null;
  /** The kept messages in the order they arrived, oldest first. */
  messages(): ReceivedMail[];
  /**
   * The newest kept message that matches, or else the first matching one to arrive; rejects with
   * MailNotReceivedError when none arrives in time.
   */
  waitForMessage(predicate: (mail: ReceivedMail) => boolean, timeoutMilliseconds: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/** Raised by waitForMessage when no matching message arrived before its deadline or before the inbox stopped. */
export class MailNotReceivedError extends Error {
  override name = 'MailNotReceivedError';
}

/** A predicate for waitForMessage: the message was delivered to this address (case-insensitive). */
export function addressedTo(address: string): (mail: ReceivedMail) => boolean {
  const wanted = address.toLowerCase();
  return (mail) => mail.envelopeTo.some((recipient) => recipient.toLowerCase() === wanted);
}

/** Starts the SMTP server (and the web view when asked), after loading the messages kept in the storage folder. */
export async function startMailInbox(options: MailInboxOptions): Promise<MailInbox> {
  const host = options.host ?? defaultHost;
  const log = options.log ?? (() => {});
  const store = new MessageStore(options.storageDirectory, log);
  await store.load();

  const smtpServer = createSmtpServer(store, log);
  const smtpPort = await listen(smtpServer.server, options.smtpPort, host);
  let webServer: http.Server | null = null;
  let webPort: number | null = null;
  if (options.webPort !== null) {
    webServer = http.createServer((request, response) => handleWebRequest(store, request, response, log));
    try {
      webPort = await listen(webServer, options.webPort, host);
    } catch (error) {
      await closeSmtpServer(smtpServer);
      throw error;
    }
  }

  let stopped: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    store.rejectWaiters(new MailNotReceivedError('the mail inbox stopped before a matching message arrived'));
    await Promise.all([closeSmtpServer(smtpServer), webServer === null ? undefined : closeWebServer(webServer)]);
  };
  return {
    smtpUrl: `smtp://${urlHost(host)}:${smtpPort}`,
    webUrl: webPort === null ? null : `http://${urlHost(host)}:${webPort}`,
    messages: () => store.list(),
    waitForMessage: (predicate, timeoutMilliseconds) => store.waitFor(predicate, timeoutMilliseconds),
    stop: () => (stopped ??= stop()),
  };
}

// ---------------------------------------------------------------------------------------------------
// Keeping messages

interface Waiter {
  predicate: (mail: ReceivedMail) => boolean;
  resolve: (mail: ReceivedMail) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The kept messages, their .eml files, and the callers waiting for one. */
class MessageStore {
  /** Oldest first; never longer than maximumKeptMessages. */
  private readonly kept: ReceivedMail[] = [];
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly storageDirectory: string | null,
    private readonly log: (line: string) => void,
  ) {}

  list(): ReceivedMail[] {
    return [...this.kept];
  }

  find(id: string): ReceivedMail | undefined {
    return this.kept.find((mail) => mail.id === id);
  }

  /** Reads the newest .eml files this inbox wrote earlier; files it cannot read are skipped, not fatal. */
  async load(): Promise<void> {
    if (this.storageDirectory === null) return;
    await mkdir(this.storageDirectory, { recursive: true });
    const names = (await readdir(this.storageDirectory)).filter((name) => parseStoredFileName(name) !== null);
    // The timestamp leads the name and has a fixed width, so the names sort by arrival.
    const newest = names.sort().slice(-maximumKeptMessages);
    const loaded = await Promise.all(newest.map((name) => this.loadFile(name)));
    for (const mail of loaded) if (mail !== null) this.kept.push(mail);
    if (this.kept.length > 0) this.log(`loaded ${this.kept.length} stored messages from ${this.storageDirectory}`);
  }

  private async loadFile(name: string): Promise<ReceivedMail | null> {
    const storedName = parseStoredFileName(name);
    if (storedName === null || this.storageDirectory === null) return null;
    try {
      const raw = await readFile(path.join(this.storageDirectory, name));
      const envelope = readDeliveryHeaders(raw);
      if (envelope === null) {
        this.log(`skipped ${name}: it does not start with the delivery headers this inbox writes`);
        return null;
      }
      return { id: storedName.id, receivedAt: storedName.receivedAt, ...envelope, raw, parsed: await simpleParser(raw) };
    } catch (error) {
      this.log(`skipped ${name}: ${describeError(error)}`);
      return null;
    }
  }

  /** Parses, stores and keeps a message just received, then hands it to the callers waiting for it. */
  async accept(message: Buffer, envelope: SMTPServerEnvelope): Promise<ReceivedMail> {
    const id = randomUUID();
    const receivedAt = new Date();
    const envelopeFrom = envelope.mailFrom === false ? '' : envelope.mailFrom.address;
    const envelopeTo = envelope.rcptTo.map((recipient) => recipient.address);
    const raw = Buffer.concat([writeDeliveryHeaders(envelopeFrom, envelopeTo), message]);
    const mail: ReceivedMail = { id, receivedAt, envelopeFrom, envelopeTo, raw, parsed: await simpleParser(raw) };
    await this.save(mail);
    this.kept.push(mail);
    if (this.kept.length > maximumKeptMessages) this.kept.shift();
    this.log(`received ${id} from <${envelopeFrom}> to ${envelopeTo.join(', ')}: ${JSON.stringify(mail.parsed.subject ?? '')}`);
    this.notify(mail);
    return mail;
  }

  /** Writes under a temporary name first, so a crash never leaves a half-written .eml that a restart would load. */
  private async save(mail: ReceivedMail): Promise<void> {
    if (this.storageDirectory === null) return;
    const file = path.join(this.storageDirectory, storedFileName(mail));
    await writeFile(`${file}.partial`, mail.raw);
    await rename(`${file}.partial`, file);
  }

  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMilliseconds: number): Promise<ReceivedMail> {
    if (!(timeoutMilliseconds > 0 && timeoutMilliseconds <= maximumWaitMilliseconds)) {
      return Promise.reject(new RangeError(`timeoutMilliseconds must be above 0 and at most ${maximumWaitMilliseconds}`));
    }
    try {
      for (let index = this.kept.length - 1; index >= 0; index -= 1) {
        const mail = this.kept[index];
        if (mail !== undefined && predicate(mail)) return Promise.resolve(mail);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new MailNotReceivedError(`no matching message arrived within ${timeoutMilliseconds} ms (${this.kept.length} kept)`));
      }, timeoutMilliseconds);
      const waiter: Waiter = { predicate, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  rejectWaiters(error: Error): void {
    for (const waiter of this.waiters) this.settle(waiter, () => waiter.reject(error));
  }

  private notify(mail: ReceivedMail): void {
    for (const waiter of this.waiters) {
      try {
        if (waiter.predicate(mail)) this.settle(waiter, () => waiter.resolve(mail));
      } catch (error) {
        // A predicate that throws fails its own wait, not the delivery of the message.
        this.settle(waiter, () => waiter.reject(error instanceof Error ? error : new Error(String(error))));
      }
    }
  }

  private settle(waiter: Waiter, settle: () => void): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    settle();
  }
}

// The envelope is not part of the message, so it is kept the way a final delivery agent keeps it: as
// headers in front of the message (Return-Path per RFC 5321 section 4.4, Envelope-To as Exim writes it).
// A restarted inbox reads it back from the .eml alone.
const returnPathPattern = /^Return-Path: <([^\r\n]*)>\r\n/;
const envelopeToPattern = /^Envelope-To: ([^\r\n]*)\r\n/;
/** Enough for both headers with every recipient at the longest address SMTP allows (256 octets). */
const maximumDeliveryHeadersBytes = (maximumRecipientsPerMessage + 1) * 300;

function writeDeliveryHeaders(envelopeFrom: string, envelopeTo: string[]): Buffer {
  const recipients = envelopeTo.map((address) => `<${address}>`).join(', ');
  return Buffer.from(`Return-Path: <${envelopeFrom}>\r\nEnvelope-To: ${recipients}\r\n`, 'utf8');
}

function readDeliveryHeaders(raw: Buffer): { envelopeFrom: string; envelopeTo: string[] } | null {
  const head = raw.subarray(0, maximumDeliveryHeadersBytes).toString('utf8');
  const returnPath = returnPathPattern.exec(head);
  if (returnPath === null) return null;
  const envelopeTo = envelopeToPattern.exec(head.slice(returnPath[0].length));
  if (envelopeTo === null) return null;
  const recipients = [...(envelopeTo[1] ?? '').matchAll(/<([^>]*)>/g)].map((match) => match[1] ?? '');
  return { envelopeFrom: returnPath[1] ?? '', envelopeTo: recipients };
}

// File names are `<receivedAt>-<id>.eml` with the time in ISO 8601 basic format (20250102T030405.678Z):
// the extended format's colons are not allowed in file names on Windows.
const storedFileNamePattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z-([0-9a-f-]{36})\.eml$/;

function storedFileName(mail: ReceivedMail): string {
  return `${mail.receivedAt.toISOString().replace(/[-:]/g, '')}-${mail.id}.eml`;
}

function parseStoredFileName(name: string): { receivedAt: Date; id: string } | null {
  const match = storedFileNamePattern.exec(name);
  if (match === null) return null;
  const [, year, month, day, hours, minutes, seconds, milliseconds, id] = match;
  const receivedAt = new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}.${milliseconds}Z`);
  if (Number.isNaN(receivedAt.getTime()) || id === undefined) return null;
  return { receivedAt, id };
}

// ---------------------------------------------------------------------------------------------------
// SMTP

function createSmtpServer(store: MessageStore, log: (line: string) => void): SMTPServer {
  const server = new SMTPServer({
    name: 'localhost',
    authOptional: true,
    // The certificate bundled with smtp-server has expired, and loopback traffic needs no encryption.
    disabledCommands: ['STARTTLS'],
    size: maximumMessageSizeBytes,
    rejectOversized: true,
    maxClients: maximumSmtpClients,
    closeTimeout: closeTimeoutMilliseconds,
    disableReverseLookup: true,
    logger: false,
    onRcptTo: (address, session, callback) => callback(checkRecipientCount(address, session)),
    onData: (stream, session, callback) => receive(store, stream, session, callback, log),
  });
  // Without a listener a broken client connection would crash the process.
  server.on('error', (error) => log(`mail inbox SMTP error: ${describeError(error)}`));
  return server;
}

function checkRecipientCount(address: SMTPServerAddress, session: SMTPServerSession): Error | null {
  if (session.envelope.rcptTo.length < maximumRecipientsPerMessage) return null;
  return smtpError(`too many recipients, ${address.address} not accepted (at most ${maximumRecipientsPerMessage})`, 452);
}

function receive(
  store: MessageStore,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  callback: (error?: Error | null, message?: string) => void,
  log: (line: string) => void,
): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => {
    // An oversized message is refused at the end anyway (rejectOversized), so its bytes are not kept.
    if (!stream.sizeExceeded) chunks.push(chunk);
  });
  stream.on('end', () => {
    if (stream.sizeExceeded) {
      callback(smtpError(`message exceeds the limit of ${maximumMessageSizeBytes} bytes`, 552));
      return;
    }
    store.accept(Buffer.concat(chunks), session.envelope).then(
      (mail) => callback(null, `Queued as ${mail.id}`),
      (error: unknown) => {
        log(`mail inbox could not keep a message: ${describeError(error)}`);
        callback(smtpError('the message could not be stored, try again', 451));
      },
    );
  });
}

/** An error smtp-server replies to the client with, using the given reply code. */
function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

function closeSmtpServer(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------------
// Web view

/** Markup that is already escaped; anything else put into the `html` template below is escaped. */
class SafeHtml {
  constructor(readonly value: string) {}
}

function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(markup);
}

function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// Scripts and plugins are refused on every page as a second line of defence behind escaping; the mail's
// own HTML is additionally shown in a sandboxed frame, which inherits this policy.
const pageSecurityPolicy = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";
// Downloads are never rendered as part of the inbox's origin, whatever type the sender claimed.
const downloadSecurityPolicy = 'sandbox';
const safeContentTypePattern = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

interface WebResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

function handleWebRequest(
  store: MessageStore,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  log: (line: string) => void,
): void {
  let result: WebResponse;
  try {
    result = route(store, request.method ?? 'GET', new URL(request.url ?? '/', 'http://localhost').pathname);
  } catch (error) {
    log(`mail inbox web view failed on ${request.method} ${request.url}: ${describeError(error)}`);
    result = textResponse(500, 'internal error');
  }
  const body = typeof result.body === 'string' ? Buffer.from(result.body, 'utf8') : result.body;
  response.writeHead(result.status, {
    'Content-Type': result.contentType,
    'Content-Length': String(body.length),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...result.headers,
  });
  // Node leaves the body out of replies to HEAD on its own.
  response.end(body);
}

function route(store: MessageStore, method: string, pathname: string): WebResponse {
  if (method !== 'GET' && method !== 'HEAD') return { ...textResponse(405, 'method not allowed'), headers: { Allow: 'GET, HEAD' } };
  const segments = pathname.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return pageResponse(renderMessageList(store.list().reverse()));
  if (segments.length === 2 && segments[0] === 'api' && segments[1] === 'messages') {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ messages: store.list().reverse().map(describeMessage) }) };
  }
  if (segments[0] !== 'messages' || segments[1] === undefined) return textResponse(404, 'not found');
  const mail = store.find(segments[1]);
  if (mail === undefined) return textResponse(404, 'no such message');
  if (segments.length === 2) return pageResponse(renderMessage(mail));
  if (segments.length === 3 && segments[2] === 'raw') return rawResponse(mail);
  if (segments.length === 4 && segments[2] === 'attachments') return attachmentResponse(mail, segments[3] ?? '');
  return textResponse(404, 'not found');
}

function textResponse(status: number, text: string): WebResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
}

function pageResponse(page: SafeHtml): WebResponse {
  return { status: 200, contentType: 'text/html; charset=utf-8', body: page.value, headers: { 'Content-Security-Policy': pageSecurityPolicy } };
}

function rawResponse(mail: ReceivedMail): WebResponse {
  return {
    status: 200,
    contentType: 'message/rfc822',
    body: mail.raw,
    headers: { 'Content-Disposition': contentDisposition(`${mail.id}.eml`), 'Content-Security-Policy': downloadSecurityPolicy },
  };
}

function attachmentResponse(mail: ReceivedMail, indexText: string): WebResponse {
  const attachment = /^\d+$/.test(indexText) ? mail.parsed.attachments[Number(indexText)] : undefined;
  if (attachment === undefined) return textResponse(404, 'no such attachment');
  return {
    status: 200,
    contentType: safeContentTypePattern.test(attachment.contentType) ? attachment.contentType : 'application/octet-stream',
    body: attachment.content,
    headers: {
      'Content-Disposition': contentDisposition(attachmentFileName(attachment, Number(indexText))),
      'Content-Security-Policy': downloadSecurityPolicy,
    },
  };
}

/** A download with the file name kept, including non-ASCII names (RFC 6266 with an ASCII fallback). */
function contentDisposition(fileName: string): string {
  const asciiFallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encoded}`;
}

function attachmentFileName(attachment: Attachment, index: number): string {
  return attachment.filename ?? `attachment-${index}`;
}

function attachmentPath(mail: ReceivedMail, index: number): string {
  return `/messages/${mail.id}/attachments/${index}`;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value : [value]).map((address) => address.text).join(', ');
}

/** The JSON form of a message for /api/messages; paths are relative to the web view. */
interface MessageJson {
  id: string;
  receivedAt: string;
  envelopeFrom: string;
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: Array<{ index: number; fileName: string; contentType: string; sizeBytes: number; path: string }>;
  rawPath: string;
}

function describeMessage(mail: ReceivedMail): MessageJson {
  return {
    id: mail.id,
    receivedAt: mail.receivedAt.toISOString(),
    envelopeFrom: mail.envelopeFrom,
    envelopeTo: mail.envelopeTo,
    from: addressText(mail.parsed.from),
    to: addressText(mail.parsed.to),
    subject: mail.parsed.subject ?? null,
    text: mail.parsed.text ?? null,
    html: mail.parsed.html === false ? null : mail.parsed.html,
    attachments: mail.parsed.attachments.map((attachment, index) => ({
      index,
      fileName: attachmentFileName(attachment, index),
      contentType: attachment.contentType,
      sizeBytes: attachment.size,
      path: attachmentPath(mail, index),
    })),
    rawPath: `/messages/${mail.id}/raw`,
  };
}

const pageStyle = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
dt { font-weight: 600; } dd { margin: 0 0 .4rem 0; }
pre { background: #f6f6f6; padding: .75rem; white-space: pre-wrap; word-break: break-word; }
iframe { width: 100%; height: 32rem; border: 1px solid #ccc; }
`;

function renderPage(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${new SafeHtml(pageStyle)}</style></head>
<body>${body}</body></html>
`;
}

function renderMessageList(newestFirst: ReceivedMail[]): SafeHtml {
  const rows = newestFirst.map(
    (mail) => html`<tr>
<td>${mail.receivedAt.toISOString()}</td>
<td>${addressText(mail.parsed.from) || mail.envelopeFrom}</td>
<td>${mail.envelopeTo.join(', ')}</td>
<td><a href="/messages/${mail.id}">${mail.parsed.subject ?? '(no subject)'}</a></td>
</tr>`,
  );
  return renderPage(
    'Mail inbox',
    html`<h1>Mail inbox</h1>
<p>${newestFirst.length === 1 ? '1 message' : `${newestFirst.length} messages`}, newest first; the newest ${maximumKeptMessages} are kept. <a href="/api/messages">JSON</a></p>
<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

function renderMessage(mail: ReceivedMail): SafeHtml {
  const parsed = mail.parsed;
  const attachments = parsed.attachments.map(
    (attachment, index) =>
      html`<li><a href="${attachmentPath(mail, index)}">${attachmentFileName(attachment, index)}</a> (${attachment.contentType}, ${attachment.size} bytes)</li>`,
  );
  // The mail's HTML is shown as its recipient would see it, but sandboxed: no scripts, no access to this
  // page. Links open in a new tab, which the sandbox allows only on a click.
  const htmlBody = parsed.html === false ? null : `<base target="_blank">${parsed.html}`;
  return renderPage(
    parsed.subject ?? '(no subject)',
    html`<p><a href="/">All messages</a> · <a href="/messages/${mail.id}/raw">Raw .eml</a></p>
<h1>${parsed.subject ?? '(no subject)'}</h1>
<dl>
<dt>Received</dt><dd>${mail.receivedAt.toISOString()}</dd>
<dt>Envelope from</dt><dd>${mail.envelopeFrom || '(none)'}</dd>
<dt>Envelope to</dt><dd>${mail.envelopeTo.join(', ')}</dd>
<dt>From</dt><dd>${addressText(parsed.from)}</dd>
<dt>To</dt><dd>${addressText(parsed.to)}</dd>
${parsed.cc === undefined ? null : html`<dt>Cc</dt><dd>${addressText(parsed.cc)}</dd>`}
<dt>Date</dt><dd>${parsed.date?.toISOString() ?? ''}</dd>
</dl>
<h2>Attachments</h2>${attachments.length === 0 ? html`<p>None.</p>` : html`<ul>${attachments}</ul>`}
<h2>HTML body</h2>${htmlBody === null ? html`<p>None.</p>` : html`<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${htmlBody}"></iframe>`}
<h2>Text body</h2>${parsed.text === undefined ? html`<p>None.</p>` : html`<pre>${parsed.text}</pre>`}
<h2>Headers</h2><pre>${parsed.headerLines.map((header) => `${header.line}\n`)}</pre>`,
  );
}

function closeWebServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Browsers and fetch keep idle connections open, which would hold close() up indefinitely.
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------------------------
// Shared

/** Listens and resolves with the port actually bound (the chosen one when asked for port 0). */
function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`expected a TCP address, got ${address}`));
      else resolve(address.port);
    });
  });
}

/** A host as it appears in a URL: IPv6 addresses need brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

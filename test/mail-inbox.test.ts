// The local mail inbox, tested with real SMTP deliveries from nodemailer and real HTTP requests to its web view.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import {
  addressedTo,
  MailNotReceivedError,
  maximumMessageSizeBytes,
  startMailInbox,
  type MailInbox,
  type ReceivedMail,
} from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';

/** Long enough for a loopback delivery on a slow machine, short enough to fail a broken test quickly. */
const deliveryTimeoutMilliseconds = 10_000;

const receiptSubject = 'Your receipt <script>alert("owned")</script> & thanks';
const receiptText = 'You bought 100.00 credits.\nThank you.';
const receiptHtml = '<p>You bought <b>100.00</b> credits.</p>';
// Every byte value appears, so a delivery that treated the file as text would change it.
const receiptPdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(64 * 1024), Buffer.from('\n%%EOF\n')]);

/** A temporary folder removed when the test ends, pass or fail. */
async function temporaryFolder(t: TestContext): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'refill-mail-inbox-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

/** An inbox on free ports, stopped when the test ends, pass or fail. */
async function startTestInbox(t: TestContext, storageDirectory: string | null): Promise<MailInbox> {
  const inbox = await startOnFreePorts(storageDirectory);
  t.after(() => inbox.stop());
  return inbox;
}

/** A free port can be taken by another test file between finding it and listening: draw again, a few times. */
async function startOnFreePorts(storageDirectory: string | null, attemptsLeft = 3): Promise<MailInbox> {
  try {
    return await startMailInbox({ smtpPort: await freePort(), webPort: await freePort(), storageDirectory });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE' || attemptsLeft <= 1) throw error;
    return startOnFreePorts(storageDirectory, attemptsLeft - 1);
  }
}

function webUrl(inbox: MailInbox, pathname: string): string {
  assert.ok(inbox.webUrl !== null, 'the inbox was started with a web port');
  return new URL(pathname, inbox.webUrl).href;
}

async function sendMail(inbox: MailInbox, message: Parameters<ReturnType<typeof createTransport>['sendMail']>[0]): Promise<void> {
  const transport = createTransport({ host: '127.0.0.1', port: Number(new URL(inbox.smtpUrl).port), secure: false, ignoreTLS: true });
  try {
    await transport.sendMail(message);
  } finally {
    transport.close();
  }
}

/** Sends the sample receipt (text, HTML and a PDF attachment) and waits until the inbox holds it. */
async function sendReceipt(inbox: MailInbox, to: string): Promise<ReceivedMail> {
  const arrival = inbox.waitForMessage(addressedTo(to), deliveryTimeoutMilliseconds);
  await sendMail(inbox, {
    from: 'Refill <billing@refill.test>',
    to,
    bcc: 'audit@refill.test',
    subject: receiptSubject,
    text: receiptText,
    html: receiptHtml,
    attachments: [{ filename: 'receipt-0001.pdf', content: receiptPdf, contentType: 'application/pdf' }],
  });
  return arrival;
}

test('a mail sent over SMTP arrives with its subject, recipients, bodies and attachment bytes intact', async (t) => {
  const inbox = await startTestInbox(t, null);

  const mail = await sendReceipt(inbox, 'customer@example.test');

  assert.equal(mail.parsed.subject, receiptSubject);
  assert.equal(mail.parsed.text?.trim(), receiptText);
  assert.equal(mail.parsed.html, receiptHtml);
  assert.equal(mail.envelopeFrom, 'billing@refill.test');
  assert.deepEqual(mail.envelopeTo, ['customer@example.test', 'audit@refill.test']);
  const attachment = mail.parsed.attachments[0];
  assert.ok(attachment !== undefined, 'the attachment was parsed');
  assert.equal(attachment.filename, 'receipt-0001.pdf');
  assert.equal(attachment.contentType, 'application/pdf');
  assert.ok(attachment.content.equals(receiptPdf), 'the attachment bytes are unchanged');
  assert.deepEqual(inbox.messages().map((kept) => kept.id), [mail.id]);
});

test('waitForMessage returns a mail that arrives later, and fails with MailNotReceivedError when none matches in time', async (t) => {
  const inbox = await startTestInbox(t, null);

  const later = inbox.waitForMessage(addressedTo('LATE@example.test'), deliveryTimeoutMilliseconds);
  await sendMail(inbox, { from: 'billing@refill.test', to: 'late@example.test', subject: 'late', text: 'late' });
  assert.equal((await later).parsed.subject, 'late');

  await assert.rejects(inbox.waitForMessage(addressedTo('nobody@example.test'), 50), MailNotReceivedError);
});

test('the web view lists messages newest first with the subject HTML-escaped', async (t) => {
  const inbox = await startTestInbox(t, null);
  await sendMail(inbox, { from: 'billing@refill.test', to: 'first@example.test', subject: 'First message', text: 'first' });
  await inbox.waitForMessage(addressedTo('first@example.test'), deliveryTimeoutMilliseconds);
  await sendReceipt(inbox, 'customer@example.test');

  const response = await fetch(webUrl(inbox, '/'));
  const page = await response.text();

  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.ok(page.includes('Your receipt &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; thanks'), page);
  assert.ok(!page.includes('<script>'), 'no markup from the subject reaches the page');
  assert.ok(page.indexOf('Your receipt') < page.indexOf('First message'), 'the newest message comes first');
});

test('the message page shows the headers, the text body and the HTML body in a sandboxed frame', async (t) => {
  const inbox = await startTestInbox(t, null);
  const mail = await sendReceipt(inbox, 'customer@example.test');

  const response = await fetch(webUrl(inbox, `/messages/${mail.id}`));
  const page = await response.text();

  assert.equal(response.status, 200);
  assert.ok(page.includes('Refill &lt;billing@refill.test&gt;'), 'the From header is shown, escaped');
  assert.ok(page.includes('You bought 100.00 credits.'), 'the text body is shown');
  assert.match(page, /<iframe sandbox="[^"]*" srcdoc="[^"]*&lt;p&gt;You bought &lt;b&gt;100\.00&lt;\/b&gt; credits\.&lt;\/p&gt;"/);
  assert.ok(!/<iframe[^>]*allow-scripts/.test(page), 'the mail HTML may not run scripts');
  assert.ok(page.includes(`href="/messages/${mail.id}/attachments/0"`), 'the attachment is linked');
  assert.ok(!page.includes('<script>'), 'no markup from the mail reaches the page');
});

test('an attachment downloads with identical bytes, its content type and its file name', async (t) => {
  const inbox = await startTestInbox(t, null);
  const mail = await sendReceipt(inbox, 'customer@example.test');

  const response = await fetch(webUrl(inbox, `/messages/${mail.id}/attachments/0`));

  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/pdf');
  assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="receipt-0001\.pdf"/);
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(receiptPdf), 'the downloaded bytes are the sent bytes');
});

test('the JSON list and the raw .eml describe the same message', async (t) => {
  const inbox = await startTestInbox(t, null);
  const mail = await sendReceipt(inbox, 'customer@example.test');

  const list = (await (await fetch(webUrl(inbox, '/api/messages'))).json()) as { messages: Array<{ id: string; subject: string }> };
  const raw = await fetch(webUrl(inbox, `/messages/${mail.id}/raw`));

  assert.deepEqual(list.messages.map((message) => [message.id, message.subject]), [[mail.id, receiptSubject]]);
  assert.equal(raw.status, 200);
  assert.equal(raw.headers.get('content-type'), 'message/rfc822');
  assert.ok(Buffer.from(await raw.arrayBuffer()).equals(mail.raw), 'the raw download is the stored message');
});

test('an unknown message id, attachment index or path answers 404', async (t) => {
  const inbox = await startTestInbox(t, null);
  const mail = await sendReceipt(inbox, 'customer@example.test');

  for (const pathname of [
    '/messages/00000000-0000-0000-0000-000000000000',
    '/messages/00000000-0000-0000-0000-000000000000/raw',
    `/messages/${mail.id}/attachments/1`,
    `/messages/${mail.id}/attachments/first`,
    `/messages/${mail.id}/elsewhere`,
    '/elsewhere',
  ]) {
    const response = await fetch(webUrl(inbox, pathname));
    await response.arrayBuffer();
    assert.equal(response.status, 404, pathname);
  }
});

test('received mail is stored as an .eml file and listed again by an inbox restarted on the same folder', async (t) => {
  const storageDirectory = await temporaryFolder(t);
  const firstInbox = await startTestInbox(t, storageDirectory);
  const mail = await sendReceipt(firstInbox, 'customer@example.test');
  await firstInbox.stop();

  const files = (await readdir(storageDirectory)).filter((name) => name.endsWith('.eml'));
  assert.equal(files.length, 1);
  const [file] = files;
  assert.ok(file !== undefined && file.endsWith(`-${mail.id}.eml`), `the file is named after the message: ${file}`);
  assert.ok((await readFile(path.join(storageDirectory, file))).equals(mail.raw), 'the file holds the stored message');

  const restartedInbox = await startTestInbox(t, storageDirectory);
  const [reloaded] = restartedInbox.messages();
  assert.ok(reloaded !== undefined, 'the restarted inbox loaded the stored message');
  assert.equal(reloaded.id, mail.id);
  assert.equal(reloaded.receivedAt.getTime(), mail.receivedAt.getTime());
  assert.equal(reloaded.envelopeFrom, mail.envelopeFrom);
  assert.deepEqual(reloaded.envelopeTo, mail.envelopeTo);
  assert.equal(reloaded.parsed.subject, receiptSubject);
  assert.ok(reloaded.parsed.attachments[0]?.content.equals(receiptPdf), 'the attachment survived the restart');
  const page = await (await fetch(webUrl(restartedInbox, '/'))).text();
  assert.ok(page.includes(`/messages/${mail.id}`), 'the web view of the restarted inbox lists the message');
});

test('a message over the size limit is refused with 552 and neither kept nor stored', async (t) => {
  const storageDirectory = await temporaryFolder(t);
  const inbox = await startTestInbox(t, storageDirectory);

  await assert.rejects(
    sendMail(inbox, {
      from: 'billing@refill.test',
      to: 'customer@example.test',
      subject: 'Too big',
      text: 'See attachment.',
      attachments: [{ filename: 'huge.bin', content: Buffer.alloc(maximumMessageSizeBytes) }],
    }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal((error as Error & { responseCode?: number }).responseCode, 552, error.message);
      return true;
    },
  );
  assert.equal(inbox.messages().length, 0);
  assert.deepEqual((await readdir(storageDirectory)).filter((name) => name.endsWith('.eml')), []);
});

// Documents that agree with the ledger, end to end: a CNY bank transfer confirmed with a corrected credit
// is shown (order object, invoice list), emailed and invoiced with the credit the ledger posted, as a
// correction with its reason; the PDF embeds a font that prints the Chinese issuer and remitter names and
// the bank transfer's fields; the email's download link is signed, expiring and needs no API key. Real
// Temporal, Postgres and SMTP inbox; the PDF's text is read back with pdfjs-dist.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { signedInvoiceLink } from '../ids/invoice-links.ts';
import { balanceOf, createTestCustomer, testAdminToken } from './support/api.ts';
import { testAdminTokensVariable } from './support/operators.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, paidEvent } from './support/orders.ts';
import { sendWebhook, startTestPipeline, type OrderJson, type TestPipeline } from './support/pipeline.ts';

const issuer = { INVOICE_ISSUER_NAME: '上海充值科技有限公司', INVOICE_ISSUER_ADDRESS: '上海市浦东新区世纪大道100号', INVOICE_ISSUER_TAX_ID: '91310000MA1FL0000X' };
const remitter = { remitter_name: '北京示例科技有限公司', bank_name: '中国工商银行北京分行', remarks: '三月充值', agreement_accepted: true };

/** An operator named in Chinese, as ADMIN_TOKENS may now name one. */
const chineseOperator = '张伟';
const chineseOperatorToken = 'operator-token-of-zhang-wei-0123456789abcdef';

let pipeline: TestPipeline;
let inbox: MailInbox;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  pipeline = await startTestPipeline({
    environment: { SMTP_URL: inbox.smtpUrl, ...issuer, ADMIN_TOKENS: `${testAdminTokensVariable},${chineseOperator}:${chineseOperatorToken}` },
  });
});
after(async () => {
  await pipeline.close();
  await inbox.stop();
});

const ops = (path: string, body: unknown = {}) => pipeline.api.request('POST', path, { token: testAdminToken, body });

/** Every text item of every page of a PDF, joined: what a reader's copy-and-paste would give. */
async function pdfText(pdf: Uint8Array): Promise<string> {
  // pdfjs takes over (detaches) the buffer it is given: it reads a copy.
  const document = await getDocument({ data: pdf.slice(), useSystemFonts: false, isEvalSupported: false }).promise;
  const parts: string[] = [];
  for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber += 1) {
    const content = await (await document.getPage(pageNumber)).getTextContent();
    for (const item of content.items) if ('str' in item) parts.push(item.str);
  }
  await document.destroy();
  return parts.join(' ');
}

describe('a bank transfer confirmed with a corrected credit', () => {
  let customer: Awaited<ReturnType<typeof createTestCustomer>>;
  let order: OrderJson & { bank_transfer: { reference: string } };
  const reason = 'Bank fee of 80.00 CNY deducted; credit corrected to what arrived / 银行扣除手续费';

  before(async () => {
    customer = await createTestCustomer(pipeline.api, 'CNY', 'documents');
    order = (await createPendingOrder(pipeline.api, customer.apiKey, {
      package_id: 'cny_1000',
      payment_method: 'bank_transfer',
      bank_transfer: remitter,
    })) as typeof order;
  });

  test('the order object shows the credit the ledger posted, as a correction with its reason', async () => {
    assert.equal((await ops(`/admin/topups/${order.id}/start-review`)).status, 200);
    const body = { amount_received: '920.00', bank_reference: 'ICBC-20261201-0042', corrected_credit: '1000.00', reason };
    const confirmed = await ops(`/admin/topups/${order.id}/confirm-transfer`, body);
    assert.equal(confirmed.status, 200, confirmed.text);
    const expected = { quoted_credit: '1080.000000', amount_received: '920.000000', reason };
    assert.deepEqual([confirmed.body.status, confirmed.body.credit, confirmed.body.credit_correction], ['succeeded', '1000.000000', expected]);
    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '1000.000000');
    const read = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: customer.apiKey });
    assert.deepEqual([read.body.credit, read.body.credit_correction], ['1000.000000', expected]);
    // The quote the customer was given is unchanged beside it.
    assert.deepEqual([read.body.amount, read.body.bonus, read.body.pay_amount], ['1000.000000', '80.000000', '1000.000000']);
    const listed = await pipeline.api.request('GET', '/v1/topups', { token: customer.apiKey });
    assert.equal(listed.body.data[0].credit, '1000.000000');
    const repeated = await ops(`/admin/topups/${order.id}/confirm-transfer`, body);
    assert.deepEqual([repeated.status, repeated.body.credit], [200, '1000.000000']);
  });

  test('the invoice email says the credit that was added, the quote, the reason and a balance that agrees', async () => {
    const mail = await inbox.waitForMessage((candidate) => addressedTo(customer.email)(candidate) && /invoice/i.test(candidate.parsed.subject ?? ''), 30_000);
    const text = mail.parsed.text ?? '';
    assert.match(text, /Amount received: 920\.00 CNY/);
    assert.match(text, /Credit added \(corrected\): 1,000\.00 CNY/);
    assert.match(text, /Credit as quoted: 1,080\.00 CNY/);
    assert.ok(text.includes(`Why it was corrected: ${reason}`), text);
    assert.match(text, /New balance: 1,000\.00 CNY/);
    assert.ok(text.includes(`Transfer reference: ${order.bank_transfer.reference}`), text);
    assert.doesNotMatch(text, /\d\.\d{3,} CNY/, 'people are shown two decimals');
    const invoices = await pipeline.api.request('GET', '/v1/invoices', { token: customer.apiKey });
    assert.equal(invoices.body.data[0].credit, '1000.000000');
    assert.equal(invoices.body.data[0].pay_amount, '920.000000');
  });

  test('the signed link opens the PDF without an API key; a changed or expired link is a 4xx; the PDF prints the Chinese names and transfer fields', async () => {
    const mail = await inbox.waitForMessage((candidate) => addressedTo(customer.email)(candidate) && /invoice/i.test(candidate.parsed.subject ?? ''), 30_000);
    const link = /(http\S+\/invoices\/\S+\/download\?expires=\d+&signature=[0-9a-f]{64})/.exec(mail.parsed.text ?? '')?.[1];
    assert.ok(link, mail.parsed.text);
    const download = await fetch(link);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/pdf');
    assert.match(download.headers.get('content-disposition') ?? '', /^inline; filename="RF-\d{4}-\d{6}\.pdf"$/);
    const pdf = new Uint8Array(await download.arrayBuffer());
    const attached = mail.parsed.attachments[0]!.content;
    assert.ok(Buffer.from(pdf).equals(attached), 'the link serves the attached PDF');

    const text = await pdfText(pdf);
    for (const expected of [issuer.INVOICE_ISSUER_NAME, issuer.INVOICE_ISSUER_ADDRESS, remitter.remitter_name, remitter.bank_name,
      order.bank_transfer.reference, 'ICBC-20261201-0042', '1,000.00 CNY', '1,080.00 CNY', '920.00 CNY', '银行扣除手续费']) {
      assert.ok(text.includes(expected), `${expected} is not in the PDF's text: ${text}`);
    }
    // pdfkit embeds a subset of the 10 MB font: only the glyphs this invoice uses.
    console.log(`invoice PDF with embedded Noto Sans SC subsets: ${pdf.length} bytes`);
    assert.ok(pdf.length < 200_000, `the PDF is ${pdf.length} bytes`);

    const changed = await fetch(link.replace(/signature=([0-9a-f])/, (_match, first: string) => `signature=${first === '0' ? '1' : '0'}`));
    assert.equal(changed.status, 403);
    assert.equal(((await changed.json()) as { error: { code: string } }).error.code, 'invoice_link_invalid');
    const otherInvoice = await fetch(link.replace(/-(\d{6})\/download/, '-999999/download'));
    assert.equal(((await otherInvoice.json()) as { error: { code: string } }).error.code, 'invoice_link_invalid');
    const cut = await fetch(link.replace(/&signature=.*/, ''));
    assert.equal(cut.status, 403);
    const number = /\/invoices\/([^/]+)\/download/.exec(link)![1]!;
    const expiredLink = signedInvoiceLink(pipeline.api.baseUrl, pipeline.api.config.invoices.links, number, new Date(Date.now() - 31 * 86_400_000));
    const expired = await fetch(expiredLink);
    assert.equal(expired.status, 410);
    assert.equal(((await expired.json()) as { error: { code: string } }).error.code, 'invoice_link_expired');
  });
});

describe('a Stripe order with a promo code', () => {
  test('is invoiced with its promo code, and the invoice email links to the PDF the same way', async () => {
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'promo');
    const code = `DOCS${Date.now().toString(36).toUpperCase()}`;
    const promo = await ops('/admin/promo-codes', { code, kind: 'discount_percent', percent: '10', currency: 'CNY' });
    assert.equal(promo.status, 201, promo.text);
    const order = await createPendingOrder(pipeline.api, customer.apiKey, { package_id: 'cny_100', payment_method: 'stripe', promo_code: code });
    assert.equal((await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order))).status, 200);
    const mail = await inbox.waitForMessage((candidate) => addressedTo(customer.email)(candidate) && /invoice/i.test(candidate.parsed.subject ?? ''), 30_000);
    assert.ok((mail.parsed.text ?? '').includes(`Promo code: ${code}`), mail.parsed.text);
    assert.match(mail.parsed.text ?? '', /Amount paid: 90\.00 CNY/);
    const text = await pdfText(new Uint8Array(mail.parsed.attachments[0]!.content));
    assert.ok(text.includes(`promo code ${code}`), text);
    const balance = await eventually(async () => ((await balanceOf(pipeline.api, customer.apiKey)) === '100.000000' ? true : undefined), { timeoutMilliseconds: 10_000, description: 'the promo order credited' });
    assert.equal(balance, true);
  });
});

describe('free-text ops fields', () => {
  test('X-Operator (percent-encoded UTF-8, RFC 8187 style) and bank_reference take Chinese; control characters are refused', async () => {
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'unicode');
    const order = await createPendingOrder(pipeline.api, customer.apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter });
    const as = (headerValue: string, path: string, body: unknown = {}) =>
      pipeline.api.request('POST', path, { token: chineseOperatorToken, body, headers: { 'x-operator': headerValue } });
    const encoded = encodeURIComponent(chineseOperator);
    const broken = await as('%E5%BC', `/admin/topups/${order.id}/start-review`);
    assert.deepEqual([broken.status, broken.body.error.code, broken.body.error.field], [422, 'invalid_field', 'X-Operator']);
    const control = await as(`UTF-8''${encodeURIComponent('张\n伟')}`, `/admin/topups/${order.id}/start-review`);
    assert.deepEqual([control.status, control.body.error.field], [422, 'X-Operator']);
    assert.equal((await as(`UTF-8''${encoded}`, `/admin/topups/${order.id}/start-review`)).status, 200);

    const bell = await as(encoded, `/admin/topups/${order.id}/confirm-transfer`, { amount_received: '100.00', bank_reference: '工行\u0007流水' });
    assert.deepEqual([bell.status, bell.body.error.code, bell.body.error.field], [422, 'invalid_field', 'bank_reference']);
    const reference = '工商银行流水号 20261201-0007';
    const confirmed = await as(encoded, `/admin/topups/${order.id}/confirm-transfer`, { amount_received: '100.00', bank_reference: reference });
    assert.equal(confirmed.status, 200, confirmed.text);
    const actions = await pipeline.api.request('GET', `/admin/topups/${order.id}`, { token: testAdminToken });
    assert.deepEqual(
      actions.body.actions.map((action: { action: string; actor: string }) => [action.action, action.actor]),
      [['start_review', chineseOperator], ['confirm_transfer', chineseOperator]],
    );
    assert.equal(actions.body.actions[1].payload.bank_reference, reference);
    // The audit log records the same name (migration 0016 lets its check take any script).
    const audit = await pipeline.api.request('GET', `/admin/audit-log?operator=${encoded}&action=topup.confirm_transfer`, { token: testAdminToken });
    assert.deepEqual(
      audit.body.data.map((row: { operator: string; status_code: number }) => [row.operator, row.status_code]),
      [[chineseOperator, 200], [chineseOperator, 422]],
    );
  });
});

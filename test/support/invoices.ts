// Invoice dependencies for tests that run the order workflow without caring about its mail: the
// invoice is issued as usual and its email is composed but delivered nowhere.
import { createTransport } from 'nodemailer';
import type { InvoiceSettings, MailTransport } from '../../activities/invoices.ts';

export const testInvoiceSettings: InvoiceSettings = {
  issuer: { numberPrefix: 'RF', name: 'Refill Test Ltd.', address: '1 Test Street, Test City', taxId: 'TEST0001' },
  mailFrom: 'Refill <billing@refill.test>',
  publicBaseUrl: 'http://refill.test',
};

/** Spread into createActivities' dependencies: `{ sql, paymentProvider, logger, ...testInvoiceDependencies() }`. */
export function testInvoiceDependencies(): { mailTransport: MailTransport; invoices: InvoiceSettings } {
  return { mailTransport: createTransport({ jsonTransport: true }), invoices: testInvoiceSettings };
}

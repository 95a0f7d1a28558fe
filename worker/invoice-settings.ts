// The invoice activities' settings, taken from the configuration: the issuer, the sender, the links.
import type { InvoiceSettings } from '../activities/invoices.ts';
import type { Config } from '../config/config.ts';

export function invoiceSettings(config: Config): InvoiceSettings {
  return {
    issuer: {
      numberPrefix: config.invoices.numberPrefix,
      name: config.invoices.issuerName,
      address: config.invoices.issuerAddress,
      taxId: config.invoices.issuerTaxId,
    },
    mailFrom: config.mail.from,
    publicBaseUrl: config.api.publicBaseUrl,
    links: config.invoices.links,
    ...(config.refunds.opsEmail === undefined ? {} : { opsEmail: config.refunds.opsEmail }),
  };
}

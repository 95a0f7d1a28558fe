// Saved payment methods and the provider customer of each account. The tables are written by the API
// only (the setup webhook, the default and delete routes), through the operations of this folder.
export interface StoredPaymentMethod {
  id: string;
  accountId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  isDefault: boolean;
  createdAt: Date;
  detachedAt: Date | null;
}

export interface PaymentMethodRow {
  id: string;
  account_id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  is_default: boolean;
  created_at: Date;
  detached_at: Date | null;
}

export function paymentMethodFromRow(row: PaymentMethodRow): StoredPaymentMethod {
  return {
    id: row.id,
    accountId: row.account_id,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.exp_month,
    expYear: row.exp_year,
    isDefault: row.is_default,
    createdAt: row.created_at,
    detachedAt: row.detached_at,
  };
}

/** An account keeps at most this many cards; a setup past it is refused. */
export const maximumPaymentMethodsPerAccount = 20;

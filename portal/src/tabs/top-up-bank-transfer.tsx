// The bank transfer part of the top-up tab: the company account to transfer to, who will transfer
// (remitter and their bank), remarks, and the customer's agreement to the transfer terms.
import type { PortalSession } from '../context.ts';
import { t } from './top-up-messages.ts';

export interface BankTransferForm {
  remitterName: string;
  bankName: string;
  remarks: string;
  agreed: boolean;
}

export const emptyBankTransfer: BankTransferForm = { remitterName: '', bankName: '', remarks: '', agreed: false };

/** The first thing the form still needs, said to the customer, or null when it is complete. */
export function missingBankTransferField(form: BankTransferForm): string | null {
  if (form.remitterName.trim() === '') return t('required', { field: t('remitter') });
  if (form.bankName.trim() === '') return t('required', { field: t('remitterBank') });
  return form.agreed ? null : t('agreementRequired');
}

function TextField(props: { id: string; label: string; value: string; required?: boolean; maxLength: number; onInput(value: string): void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        value={props.value}
        required={props.required}
        aria-required={props.required}
        maxLength={props.maxLength}
        onInput={(event) => props.onInput((event.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

export function BankTransferFields(props: { payee: PortalSession['bank_transfer_payee']; form: BankTransferForm; onChange(form: BankTransferForm): void }) {
  const { payee, form } = props;
  const set = (change: Partial<BankTransferForm>) => props.onChange({ ...form, ...change });
  return (
    <section class="card" aria-labelledby="payee-heading">
      <h3 id="payee-heading">{t('payee')}</h3>
      <table class="table" data-testid="payee">
        <tbody>
          <tr>
            <th scope="row">{t('payeeBank')}</th>
            <td>{payee.bank_name}</td>
          </tr>
          <tr>
            <th scope="row">{t('payeeName')}</th>
            <td>{payee.account_name}</td>
          </tr>
          <tr>
            <th scope="row">{t('payeeNumber')}</th>
            <td>{payee.account_number}</td>
          </tr>
        </tbody>
      </table>
      <p class="notice">{t('payeeDeadline', { days: payee.deadline_business_days })}</p>
      <TextField id="remitter-name" label={t('remitter')} value={form.remitterName} required maxLength={100} onInput={(value) => set({ remitterName: value })} />
      <TextField id="remitter-bank" label={t('remitterBank')} value={form.bankName} required maxLength={100} onInput={(value) => set({ bankName: value })} />
      <TextField id="transfer-remarks" label={t('remarks')} value={form.remarks} maxLength={200} onInput={(value) => set({ remarks: value })} />
      <div class="checkbox">
        <input id="transfer-agreement" type="checkbox" checked={form.agreed} onChange={(event) => set({ agreed: (event.currentTarget as HTMLInputElement).checked })} />
        <label for="transfer-agreement">{t('agreement')}</label>
      </div>
    </section>
  );
}

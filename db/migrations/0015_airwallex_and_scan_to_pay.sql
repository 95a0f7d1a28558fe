-- Airwallex as a second checkout provider, and the scan-to-pay methods Alipay and WeChat Pay
-- (README "Payment methods and providers"). Orders and invoices take the new payment methods; payment
-- exceptions and webhook events name their provider. The checks are found by what they check, not by
-- name, as 0011 does: a database made by any earlier release has them under Postgres's own names.
do $$
declare
  v_name text;
begin
  select conname into v_name from pg_constraint
  where conrelid = 'orders'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%payment_method = ANY%';
  if v_name is not null then execute format('alter table orders drop constraint %I', v_name); end if;
  select conname into v_name from pg_constraint
  where conrelid = 'invoices'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%payment_method = ANY%';
  if v_name is not null then execute format('alter table invoices drop constraint %I', v_name); end if;
  select conname into v_name from pg_constraint
  where conrelid = 'payment_exceptions'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%provider%';
  if v_name is not null then execute format('alter table payment_exceptions drop constraint %I', v_name); end if;
end
$$;

alter table orders add constraint orders_payment_method_check
  check (payment_method in ('stripe', 'airwallex', 'alipay', 'wechat_pay', 'bank_transfer', 'auto_recharge'));
alter table invoices add constraint invoices_payment_method_check
  check (payment_method in ('stripe', 'airwallex', 'alipay', 'wechat_pay', 'bank_transfer', 'auto_recharge'));
alter table payment_exceptions add constraint payment_exceptions_provider_check
  check (provider in ('stripe', 'airwallex'));

-- Which provider sent a webhook event. Airwallex's events are recorded under ids of their own
-- (awx_<Airwallex's id>), so the two providers' ids never meet in the primary key.
alter table stripe_events add column provider text not null default 'stripe' check (provider in ('stripe', 'airwallex'));

-- A top-up that saves its card (save_payment_method on POST /v1/topups), and auto_recharge.* outgoing
-- webhook events.

-- Written once by the order workflow's first activity (recordNewOrder), from the request; read by the
-- credit activity, which stores the card the order was paid with once the order is credited.
alter table orders add column save_payment_method boolean not null default false;

-- auto_recharge.* outgoing webhook events, written by triggers in the transaction of the change they
-- report (the outbox of migration 0014), so none is lost and none is invented for a rolled-back change.
--
-- The rows stay the auto-recharge workflow's (auto_recharge_attempts, auto_recharge_status) and the
-- API's (auto_recharge_settings, switched off when its card is deleted); these triggers only write
-- webhook_events and webhook_deliveries, through record_webhook_event.

-- An attempt's end: auto_recharge.succeeded, or auto_recharge.failed with its decline code (a decline,
-- authentication required, or the provider refusing the charge). A repeated update writes nothing.
create function auto_recharge_attempt_webhook_events() returns trigger language plpgsql as $$
begin
  if new.status = 'succeeded' then
    perform record_webhook_event('auto_recharge.succeeded', new.account_id, to_jsonb(new) - 'provider_customer_id');
  elsif new.status in ('declined', 'authentication_required', 'failed') then
    perform record_webhook_event('auto_recharge.failed', new.account_id, to_jsonb(new) - 'provider_customer_id');
  end if;
  return null;
end $$;
create trigger auto_recharge_attempts_webhook_events after update of status on auto_recharge_attempts for each row
  when (new.status is distinct from old.status)
  execute function auto_recharge_attempt_webhook_events();

-- The workflow stopping the recharge: auto_recharge.paused or auto_recharge.disabled, once per stop
-- (a stop names its settings version; rewriting the same stop writes nothing).
create function auto_recharge_status_webhook_events() returns trigger language plpgsql as $$
begin
  if new.stopped_state is not null and (tg_op = 'INSERT' or new.stopped_version is distinct from old.stopped_version
                                        or new.stopped_state is distinct from old.stopped_state) then
    perform record_webhook_event('auto_recharge.' || new.stopped_state, new.account_id, jsonb_build_object(
      'account_id', new.account_id, 'state', new.stopped_state, 'reason', new.stopped_reason,
      'settings_version', new.settings_version, 'consecutive_failures', new.consecutive_failures,
      'decline_code', new.last_attempt_decline_code, 'last_attempt_outcome', new.last_attempt_outcome,
      'last_attempt_amount_micros', new.last_attempt_amount_micros, 'stopped_at', new.updated_at));
  end if;
  return null;
end $$;
create trigger auto_recharge_status_webhook_events after insert or update on auto_recharge_status for each row
  execute function auto_recharge_status_webhook_events();

-- The API switching auto-recharge off because its card was deleted (a reason is given; a customer's
-- own PUT turning it off gives none and is no event): auto_recharge.disabled.
create function auto_recharge_settings_webhook_events() returns trigger language plpgsql as $$
begin
  perform record_webhook_event('auto_recharge.disabled', new.account_id, jsonb_build_object(
    'account_id', new.account_id, 'state', 'disabled', 'reason', new.disabled_reason,
    'settings_version', new.version, 'consecutive_failures', null, 'decline_code', null,
    'last_attempt_outcome', null, 'last_attempt_amount_micros', null, 'stopped_at', new.updated_at));
  return null;
end $$;
create trigger auto_recharge_settings_webhook_events after update on auto_recharge_settings for each row
  when (old.enabled and not new.enabled and new.disabled_reason is not null)
  execute function auto_recharge_settings_webhook_events();

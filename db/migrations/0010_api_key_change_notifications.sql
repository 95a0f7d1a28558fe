-- Every API process keeps its API key lookups for a few seconds (api/api-key-cache.ts). A key that is
-- revoked or deleted, or an account that is changed or removed, must be refused at once by every
-- process, whatever path made the change (a route, a script, psql): so each such change notifies the
-- channel refill_api_key_changes when it commits, and every process's listener evicts what it names.
-- Payloads: 'key:<hex SHA-256 of the key>', 'account:<account id>', or 'all' (a TRUNCATE).
create function notify_api_key_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    perform pg_notify('refill_api_key_changes', 'all');
  elsif tg_table_name = 'api_keys' then
    perform pg_notify('refill_api_key_changes', 'key:' || encode(old.key_hash, 'hex'));
  else
    perform pg_notify('refill_api_key_changes', 'account:' || old.id);
  end if;
  return null;
end $$;

create trigger api_keys_notify_change after update or delete on api_keys
  for each row execute function notify_api_key_change();
create trigger api_keys_notify_truncate after truncate on api_keys
  for each statement execute function notify_api_key_change();
create trigger accounts_notify_change after update or delete on accounts
  for each row execute function notify_api_key_change();
create trigger accounts_notify_truncate after truncate on accounts
  for each statement execute function notify_api_key_change();

-- The audit log of ops: every write request an authenticated operator made to an /admin route, once,
-- with who made it (the operator of the token, never a header), what it did (action and target), how
-- it ended (the HTTP status), the request id, a summary of its body without secrets, and when.
-- Written by the API's audit middleware through db/audit/record-admin-action.ts; never changed.

create table admin_audit_log (
  -- Also the position in the log, for keyset pagination newest first.
  id bigint generated always as identity primary key,
  operator text not null check (operator ~ '^[a-z0-9._-]{1,64}$'),
  -- The route's object and verb: 'account.create', 'topup.confirm_transfer', 'payment_exception.resolve'.
  action text not null check (action ~ '^[a-z0-9_.]{1,100}$'),
  -- The id of the object acted on, when there is one.
  target text check (length(target) between 1 and 200),
  method text not null check (method in ('POST', 'PUT', 'PATCH', 'DELETE')),
  path text not null check (length(path) between 1 and 2048),
  status_code integer not null check (status_code between 100 and 599),
  request_id text check (length(request_id) between 1 and 200),
  -- The request body with secrets redacted and long values cut; null for a request without one.
  request_summary jsonb,
  occurred_at timestamptz not null default now()
);
create index admin_audit_log_by_operator on admin_audit_log (operator, id);
create index admin_audit_log_by_action on admin_audit_log (action, id);
create index admin_audit_log_by_target on admin_audit_log (target, id) where target is not null;

create function refuse_admin_audit_log_change() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is immutable: % refused', lower(tg_op) using errcode = 'RF950';
end
$$;

create trigger admin_audit_log_is_immutable before update or delete on admin_audit_log
  for each row execute function refuse_admin_audit_log_change();
create trigger admin_audit_log_is_not_truncated before truncate on admin_audit_log
  for each statement execute function refuse_admin_audit_log_change();

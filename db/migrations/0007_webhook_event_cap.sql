-- The per-order cap on webhook events that change nothing. Each checkout event is classified once,
-- under a per-order lock, before it is signalled to its order's workflow: content_key is what it tells
-- the order (type, session, payment status, amount, currency, payment), no_op whether it changes
-- nothing (a duplicate by content, or an event the order ignores). Past the cap such an event is
-- recorded as ignored_duplicate and not signalled; an event that may change the order always is.
alter table stripe_events add column content_key text;
alter table stripe_events add column no_op boolean;

create index stripe_events_by_order_content on stripe_events (order_id, content_key);
-- The signalled no-op events of an order: what the cap counts.
create index stripe_events_no_op_signals on stripe_events (order_id)
  where no_op and outcome is distinct from 'ignored_duplicate';

alter table stripe_events drop constraint stripe_events_outcome_check;
alter table stripe_events add constraint stripe_events_outcome_check
  check (outcome in ('delivered', 'unknown_order', 'order_closed', 'ignored_type', 'flagged_for_review', 'payment_exception',
                     'ignored_duplicate'));

-- The invoice email records its intent before it is handed to the SMTP server: 'sending', with the
-- activity attempt that sends it. A retry that finds 'sending' left by an earlier attempt cannot know
-- whether the server accepted the message (the worker may have died, or PostgreSQL dropped, between the
-- server's reply and the record), so it does not send again: it reports the email for a person, who
-- can look the deterministic Message-ID up in the mail server's log. An attempt that provably did not
-- hand the message over (the server refused it, or could not be reached) puts the email back to
-- 'pending', and the next attempt sends it.
alter table invoices drop constraint invoices_email_status_check;
alter table invoices add constraint invoices_email_status_check
  check (email_status in ('pending', 'sending', 'sent', 'failed'));
-- The attempt (Temporal's activity attempt number, from 1) that recorded 'sending'.
alter table invoices add column email_send_attempt integer check (email_send_attempt > 0);
alter table invoices add constraint invoices_sending_has_attempt
  check (email_status <> 'sending' or email_send_attempt is not null);

-- Anexo IV step 5 (DOMAIN.md "Contact-loss procedure"): any other failure to collaborate, such as
-- no answer to the calls about a terminal repair appointment, escalates like lost contact once the
-- first attempt and its 24-hour retry have failed. A reminder is such a request to collaborate
-- unless the operator says otherwise; a manual "call her now" is not.
alter table followup_occasions add column collaboration boolean not null default false;

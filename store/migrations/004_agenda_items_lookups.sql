-- A provider's status callback settles the agenda item of its call attempt and counts the attempts
-- of its occasion: both found through an index rather than a scan of every item ever planned.
create index agenda_items_call_attempt on agenda_items (call_attempt_id) where call_attempt_id is not null;
create index agenda_items_occasion on agenda_items (occasion_id);

-- Feed consumers wake when events commit: one notification per statement that inserts events,
-- sent inside the writing transaction, so PostgreSQL delivers it only if that commits (and once
-- per transaction however many it wrote). A trigger rather than a statement in appendEvent: no
-- extra round trip on every write, and events written by any path announce themselves.
CREATE FUNCTION "event_feed_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('docket_events', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER "Event_feedNotify" AFTER INSERT ON "Event" FOR EACH STATEMENT EXECUTE FUNCTION "event_feed_notify"();

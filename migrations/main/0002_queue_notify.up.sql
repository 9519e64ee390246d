-- lookout_queue_notify wakes the workers of a job queue when jobs are inserted, so a dequeue
-- loop does not wait for its next poll. Workers LISTEN on the channel 'lookout_queue'; the
-- payload is the table name, which routes the wake-up to that queue's dequeue loop.
--
-- Every queue table attaches it in its own migration with one statement, once per statement
-- rather than per row so a bulk insert sends one notification:
--
--   CREATE TRIGGER <table>_notify AFTER INSERT ON <table>
--       FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
CREATE OR REPLACE FUNCTION lookout_queue_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lookout_queue', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

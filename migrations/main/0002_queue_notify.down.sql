DROP FUNCTION IF EXISTS lookout_queue_notify();

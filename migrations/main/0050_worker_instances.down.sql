DROP TABLE IF EXISTS worker_instances;

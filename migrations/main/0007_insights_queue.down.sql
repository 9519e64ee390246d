DROP TABLE IF EXISTS insights_query_runner_jobs;

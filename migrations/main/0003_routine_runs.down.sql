DROP TABLE IF EXISTS routine_runs;

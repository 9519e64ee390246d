DROP TABLE IF EXISTS text_index_jobs;

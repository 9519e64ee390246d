DROP TABLE IF EXISTS search_blob_counts;

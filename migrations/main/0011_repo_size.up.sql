-- The size of a repository's objects as its last fetch measured them (NULL until
-- then): backfills over many repositories are ordered by what they will read.
ALTER TABLE repo ADD COLUMN size_bytes bigint;

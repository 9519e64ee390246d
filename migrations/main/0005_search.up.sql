-- Per-blob memo of search match counts: what a content matcher (identified by its
-- signature, a hash of the pattern tree with its case and kind) finds in a blob. A blob's
-- content never changes, so a row stays true forever; rows are pruned by age only to
-- bound the table. File and language filters act on paths and are not part of the key.
CREATE TABLE search_blob_counts (
    signature   bytea NOT NULL,
    blob_oid    bytea NOT NULL,
    matches     integer NOT NULL,
    lines       integer NOT NULL,
    -- The blob is binary (NUL in its first 8000 bytes) and was not searched.
    is_binary   boolean NOT NULL DEFAULT false,
    -- First capture group values with their counts, when the patterns have groups.
    captures    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (signature, blob_oid)
);
CREATE INDEX search_blob_counts_created_at ON search_blob_counts (created_at);

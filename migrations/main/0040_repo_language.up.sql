-- The primary language of a repository at its default branch, measured by the fetch that
-- changed the branch (NULL until then; '' when it has no code).
ALTER TABLE repo ADD COLUMN language text;

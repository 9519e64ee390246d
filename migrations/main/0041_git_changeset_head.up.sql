-- A plain git remote reports no head commit for a pushed branch; the head of such a
-- changeset is the commit Lookout pushed (the reconciler records it from now on).
UPDATE changesets c SET head_sha = c.pushed_commit
FROM external_services e
WHERE e.id = c.external_service_id AND e.kind = 'GIT' AND c.head_sha = '' AND c.pushed_commit <> '';

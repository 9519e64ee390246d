DROP TABLE IF EXISTS search_contexts, repo_fetch_jobs, external_service_sync_jobs, user_external_accounts, repo_permissions, external_service_repos, repo, external_services;

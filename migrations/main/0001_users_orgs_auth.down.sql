DROP TABLE IF EXISTS sessions, access_tokens, org_members, names, orgs, users;

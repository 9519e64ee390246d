DROP TABLE IF EXISTS campaign_publish_slots;
DROP TABLE IF EXISTS campaigns_credentials;
DROP TABLE IF EXISTS changeset_events;
DROP TABLE IF EXISTS campaign_changesets;
DROP TABLE IF EXISTS changesets;
DROP TABLE IF EXISTS campaigns;
DROP TABLE IF EXISTS campaign_jobs;
DROP TABLE IF EXISTS campaign_plans;

DROP TABLE IF EXISTS cm_last_searched, cm_action_deliveries, cm_action_jobs, cm_trigger_jobs, cm_slack_webhooks, cm_webhooks, cm_recipients, cm_emails, cm_queries, cm_monitors;

-- The insights database starts empty; its series, points and backfill tables arrive with
-- code insights. This migration only makes the database migratable from day one.
COMMENT ON SCHEMA public IS 'Lookout code insights';

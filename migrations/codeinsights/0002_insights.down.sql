DROP TABLE IF EXISTS insight_series_recording_times_archive, series_points_archive, insight_series_backfill,
    repo_iterator_errors, repo_iterator, insight_series_incomplete_points, insight_series_recording_times,
    series_points_snapshots, series_points_totals, series_points, dashboard_insight_view, dashboard_grants,
    dashboard, insight_view_grants, insight_view_series, insight_view, insight_series, repo_names;
DROP FUNCTION IF EXISTS series_points_totals_insert(), series_points_totals_update(), series_points_totals_delete(), lookout_queue_notify();

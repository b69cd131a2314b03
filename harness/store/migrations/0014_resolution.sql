-- What the author did about each consolidated finding (fixed | skipped | commented | deferred |
-- unknown), from the report's Resolution table. Reports stored before this migration get it
-- from their stored resolution rows by the leading word of the action (the parser's full rules,
-- harness.models.resolution_status, apply to every report ingested from now on; `show --json`
-- recomputes it from the stored doc either way).
ALTER TABLE findings ADD COLUMN resolution VARCHAR;

UPDATE findings SET resolution = coalesce((
    SELECT max_by(CASE
        WHEN regexp_matches(lower(r.action), '^\W*(deferred|postponed|follow)') THEN 'deferred'
        WHEN regexp_matches(lower(r.action), '^\W*(skip|won''?t|wontfix|declined|rejected|ignored|n/?a\b)')
            THEN (CASE WHEN regexp_matches(lower(coalesce(r.note, '')), 'deferred|follow[- ]?up') THEN 'deferred'
                       ELSE 'skipped' END)
        WHEN regexp_matches(lower(r.action), '^\W*(comment|repl|acknowledg|explained|noted)') THEN 'commented'
        WHEN regexp_matches(lower(r.action), '^\W*(fix|done|addressed|resolved|auto|tests? |doc)') THEN 'fixed'
        ELSE 'unknown' END, r.idx)
    FROM resolutions r
    WHERE r.report_id = findings.report_id AND list_contains(r.finding_ids, findings.id)), 'unknown');

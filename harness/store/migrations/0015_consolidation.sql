-- Consolidate task (`harness bench --task consolidate`): one row per original finding of a
-- consolidate case, with the consolidator's decision next to the gold (the finding's fate).
-- Written in the same transaction as its case; the consolidated findings themselves are the
-- case's run_predictions.
CREATE TABLE run_decisions (
    run_id      VARCHAR NOT NULL,
    report_id   VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,
    ref         VARCHAR NOT NULL,   -- the case's reference of the original finding (Claude-3)
    agent       VARCHAR NOT NULL,
    idx         INTEGER NOT NULL,   -- the finding's position in the agent's review (fates.idx)
    finding_id  VARCHAR,
    severity    VARCHAR NOT NULL,
    title       VARCHAR,
    decision    VARCHAR,            -- kept | downgraded | upgraded | merged | dropped | demoted; NULL: none given
    target      VARCHAR,            -- consolidated finding it went to
    reason      VARCHAR,
    gold_fate   VARCHAR,            -- the stored fate
    gold        VARCHAR,            -- the decision the fate implies; NULL: not scored (unmatched)
    correct     BOOLEAN,
    PRIMARY KEY (run_id, report_id, epoch, ref)
);

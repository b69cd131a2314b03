-- A case's predictions and a score's labels are child rows: they are only ever written in the
-- transaction that writes their parent (a run case the insert itself found new, or a score
-- whose old rows `insert_scores(replace=True)` deleted first), so the parent's primary key
-- already keeps them single. Their own primary-key index only cost memory: DuckDB holds in
-- memory the index of a table it inserts into while the file is open, and a run inserts into
-- both for every case (composite VARCHAR keys). Measured over a 10,000-case run: DuckDB's index
-- memory 1.5 MB less, growing +0.12 to +0.14 MB per 1,000 cases instead of +0.18 (issue 16's
-- flat memory). Same columns, no index.
CREATE TABLE run_predictions_rows (
    run_id      VARCHAR NOT NULL,
    report_id   VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    severity    VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    locations   STRUCT(path VARCHAR, line_start INTEGER, line_end INTEGER)[],
    body        VARCHAR,
    category    VARCHAR,
    finding     VARCHAR NOT NULL    -- the Finding as JSON
);
INSERT INTO run_predictions_rows
    SELECT run_id, report_id, epoch, idx, severity, title, locations, body, category, finding
    FROM run_predictions ORDER BY run_id, report_id, epoch, idx;
DROP TABLE run_predictions;
ALTER TABLE run_predictions_rows RENAME TO run_predictions;

CREATE TABLE score_labels_rows (
    run_id            VARCHAR NOT NULL,
    report_id         VARCHAR NOT NULL,
    epoch             INTEGER NOT NULL DEFAULT 0,
    scorer            VARCHAR NOT NULL,
    args_hash         VARCHAR NOT NULL,
    side              VARCHAR NOT NULL CHECK (side IN ('pred', 'gold', 'known')),
    idx               INTEGER NOT NULL,
    label             VARCHAR NOT NULL,
    gold_id           VARCHAR,
    prediction_index  INTEGER,
    severity          VARCHAR,
    gold_severity     VARCHAR,
    severity_match    VARCHAR,
    affinity          DOUBLE,
    text_affinity     DOUBLE,
    distance          INTEGER,
    level             VARCHAR,
    title             VARCHAR,
    path              VARCHAR,
    decided_by        VARCHAR,
    det_label         VARCHAR,
    evidence          VARCHAR               -- JSON: the whole label
);
INSERT INTO score_labels_rows
    SELECT run_id, report_id, epoch, scorer, args_hash, side, idx, label, gold_id, prediction_index, severity,
           gold_severity, severity_match, affinity, text_affinity, distance, level, title, path, decided_by,
           det_label, evidence
    FROM score_labels ORDER BY run_id, report_id, epoch, scorer, args_hash, side, idx;
DROP TABLE score_labels;
ALTER TABLE score_labels_rows RENAME TO score_labels;

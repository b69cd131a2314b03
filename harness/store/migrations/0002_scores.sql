-- Scores of reviewer findings against a report's gold. One row per (run, report, epoch,
-- scorer, scorer args): the scorer name and its args (JSON) are enough to rebuild the scorer,
-- and `predicted` keeps the findings so a score can be recomputed without calling a model.
-- Ad-hoc `harness score` results use run_id 'adhoc:<hash of the findings>'.
CREATE TABLE scores (
    run_id        VARCHAR NOT NULL,
    report_id     VARCHAR NOT NULL,
    epoch         INTEGER NOT NULL DEFAULT 0,
    scorer        VARCHAR NOT NULL,
    args_hash     VARCHAR NOT NULL,
    args          VARCHAR NOT NULL,      -- JSON
    gold_hash     VARCHAR,
    metrics       VARCHAR NOT NULL,      -- JSON: scorers.METRIC_FIELDS
    counts        VARCHAR NOT NULL,      -- JSON: scorers.COUNT_FIELDS (additive)
    tp            INTEGER NOT NULL,
    fp            INTEGER NOT NULL,
    fn            INTEGER NOT NULL,
    known_fp      INTEGER NOT NULL,
    novel         INTEGER NOT NULL,
    n_pred        INTEGER NOT NULL,
    n_gold        INTEGER NOT NULL,
    "precision"   DOUBLE,
    recall        DOUBLE,
    f1            DOUBLE,
    feedback      VARCHAR,
    predicted     VARCHAR,               -- JSON list of the scored findings
    judge_usage   VARCHAR,               -- JSON: calls, cache_hits, tokens, cost, kappa
    scored_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, report_id, epoch, scorer, args_hash)
);

-- Per-finding labels of a score: side 'pred' (one per predicted finding: label =
-- true_positive | known_false_positive | novel), side 'gold' (one per gold finding:
-- label = found | missed, idx = position in the report's gold list) and side 'known' (one per
-- known false positive: label = reraised | not_reraised).
CREATE TABLE score_labels (
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
    evidence          VARCHAR,               -- JSON: the whole label
    PRIMARY KEY (run_id, report_id, epoch, scorer, args_hash, side, idx)
);

-- LLM judge verdicts, so a re-score never pays for the same question twice.
CREATE TABLE judge_cache (
    pred_hash          VARCHAR NOT NULL,
    gold_hash          VARCHAR NOT NULL,
    judge_model        VARCHAR NOT NULL,
    prompt_version     VARCHAR NOT NULL,
    verdict            VARCHAR NOT NULL,     -- JSON: match, confidence, reasoning
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    cost               DOUBLE,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (pred_hash, gold_hash, judge_model, prompt_version)
);

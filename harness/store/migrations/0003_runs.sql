-- Benchmark runs (`harness bench`), their cases and predicted findings, and the model-call cache.

-- Model-call cache: one row per distinct request (content hash of the canonical request JSON:
-- model, messages, generation params; never credentials or the endpoint) and epoch.
CREATE TABLE model_calls (
    key            VARCHAR PRIMARY KEY,
    model          VARCHAR NOT NULL,
    epoch          INTEGER NOT NULL,
    response       VARCHAR NOT NULL,   -- lm15 Response as JSON
    finish_reason  VARCHAR,
    input_tokens   BIGINT,
    output_tokens  BIGINT,
    cost           DOUBLE NOT NULL,    -- USD at litellm's prices when called (0 when unknown)
    duration_s     DOUBLE NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE runs (
    run_id         VARCHAR PRIMARY KEY,
    model          VARCHAR NOT NULL,
    program        VARCHAR NOT NULL,
    program_hash   VARCHAR NOT NULL,
    split          VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,   -- running | complete | failed | interrupted
    message        VARCHAR,            -- why failed / interrupted
    config         VARCHAR NOT NULL,   -- JSON, no secrets
    started_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at    TIMESTAMP,
    cases          INTEGER NOT NULL DEFAULT 0,   -- planned (cases x epochs)
    scored         INTEGER NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    model_calls    INTEGER NOT NULL DEFAULT 0,
    cache_hits     INTEGER NOT NULL DEFAULT 0,
    input_tokens   BIGINT NOT NULL DEFAULT 0,
    output_tokens  BIGINT NOT NULL DEFAULT 0,
    cost           DOUBLE NOT NULL DEFAULT 0,    -- price of every response used (cached ones too)
    spent          DOUBLE NOT NULL DEFAULT 0,    -- paid by this run (cache hits are free)
    wall_s         DOUBLE NOT NULL DEFAULT 0,    -- summed over the attempts of a resumed run
    metrics        VARCHAR                       -- JSON: precision, recall, f1, counts
);

-- One row per finished (report, epoch) of a run: written when the case finishes, in one
-- transaction with its predictions, so a killed run keeps exactly the cases that finished.
CREATE TABLE run_cases (
    run_id         VARCHAR NOT NULL,
    report_id      VARCHAR NOT NULL,
    epoch          INTEGER NOT NULL,
    status         VARCHAR NOT NULL,   -- ok | parse_failure (both scored) | error | skipped
    error          VARCHAR,            -- the reason, one line
    raw_response   VARCHAR,            -- last model answer (kept for parse failures)
    model_calls    INTEGER NOT NULL,
    cache_hits     INTEGER NOT NULL,
    retries        INTEGER NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    cost           DOUBLE NOT NULL,
    spent          DOUBLE NOT NULL,
    duration_s     DOUBLE NOT NULL,
    tool_calls     INTEGER NOT NULL,
    tp             INTEGER,            -- matched predictions
    fp             INTEGER,            -- unmatched predictions
    fn             INTEGER,            -- gold findings missed
    metrics        VARCHAR,            -- JSON: the scorer's per-case metrics
    finished_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, report_id, epoch)
);

CREATE TABLE run_predictions (
    run_id      VARCHAR NOT NULL,
    report_id   VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    severity    VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    locations   STRUCT(path VARCHAR, line_start INTEGER, line_end INTEGER)[],
    body        VARCHAR,
    category    VARCHAR,
    label       VARCHAR,            -- scorer's label for this prediction (tp / fp / ...)
    finding     VARCHAR NOT NULL,   -- the Finding as JSON
    PRIMARY KEY (run_id, report_id, epoch, idx)
);

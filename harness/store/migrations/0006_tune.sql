-- Prompt-tuning runs (`harness tune`): what was tuned, how, what it cost, and what came out.
-- The tuned program itself lives in `programs` (0004) under its content hash; a tune run points
-- at it. Re-tuning to the same program adds a run, not a program.
CREATE TABLE tune_runs (
    tune_id           VARCHAR PRIMARY KEY,
    program_hash      VARCHAR,                 -- the saved result (NULL until saved / when failed)
    base_program      VARCHAR NOT NULL,        -- registry name or saved:HASH tuned from
    base_hash         VARCHAR NOT NULL,
    optimizer         VARCHAR NOT NULL,        -- gepa | mipro | bootstrap
    budget            VARCHAR NOT NULL,        -- light | medium | heavy
    metric            VARCHAR NOT NULL,        -- f1 | weighted_f1
    model             VARCHAR NOT NULL,
    reflection_model  VARCHAR,
    split_name        VARCHAR NOT NULL,
    split_seed        INTEGER NOT NULL,
    split_hash        VARCHAR NOT NULL,
    seed              INTEGER NOT NULL,        -- optimiser seed
    train_cases       INTEGER NOT NULL,
    dev_cases         INTEGER NOT NULL,
    status            VARCHAR NOT NULL,        -- running | complete | interrupted | failed
    message           VARCHAR,
    dev_before        DOUBLE,
    dev_after         DOUBLE,
    trials            INTEGER NOT NULL DEFAULT 0,
    metric_calls      INTEGER NOT NULL DEFAULT 0,
    model_calls       INTEGER NOT NULL DEFAULT 0,
    cache_hits        INTEGER NOT NULL DEFAULT 0,
    input_tokens      BIGINT NOT NULL DEFAULT 0,
    output_tokens     BIGINT NOT NULL DEFAULT 0,
    cost              DOUBLE NOT NULL DEFAULT 0,   -- USD at litellm prices, cached calls included
    spent             DOUBLE NOT NULL DEFAULT 0,   -- USD paid by this run (cache hits are free)
    options           VARCHAR NOT NULL,            -- JSON: the optimiser's knobs as passed
    started_at        TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at       TIMESTAMP
);

-- One row per candidate the optimiser scored on the dev split (its "trials").
CREATE TABLE tune_trials (
    tune_id     VARCHAR NOT NULL,
    trial       INTEGER NOT NULL,
    score       DOUBLE NOT NULL,             -- mean per-report metric on dev
    best        DOUBLE NOT NULL,             -- best score so far, this one included
    scored_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (tune_id, trial)
);

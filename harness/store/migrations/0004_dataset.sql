-- Review inputs: the change each gold report reviewed, materialised from a clone.
-- One row per report; `content_hash` covers every stored field, so a rebuild that finds the
-- same change writes nothing.
CREATE TABLE review_inputs (
    report_id     VARCHAR PRIMARY KEY,
    status        VARCHAR NOT NULL,          -- exact | approximate | unavailable
    reason        VARCHAR,                   -- why approximate / unavailable
    method        VARCHAR,                   -- commits | merge | squash
    repo_path     VARCHAR,
    base          VARCHAR,
    head          VARCHAR,
    diff          VARCHAR,
    files         STRUCT(path VARCHAR, added INTEGER, removed INTEGER)[],
    tokens        INTEGER NOT NULL,
    token_method  VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    built_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Named train/dev/test splits; a split is a deterministic function of (seed, ratios, groups).
CREATE TABLE splits (
    name          VARCHAR PRIMARY KEY,
    seed          INTEGER NOT NULL,
    ratios        DOUBLE[] NOT NULL,         -- train, dev, test
    content_hash  VARCHAR NOT NULL,          -- of the assignment: runs can cite the exact split
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE split_assignments (
    split_name  VARCHAR NOT NULL,
    report_id   VARCHAR NOT NULL,
    group_key   VARCHAR NOT NULL,            -- pr:N, or branch:NAME / id:ID without a PR
    split       VARCHAR NOT NULL,            -- train | dev | test
    PRIMARY KEY (split_name, report_id)
);

-- Saved review programs: DSPy JSON state under its content hash, with lineage.
CREATE TABLE programs (
    hash        VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,            -- label given when saving
    base        VARCHAR NOT NULL,            -- registry name of the architecture (single, cot, ...)
    config      VARCHAR NOT NULL,            -- constructor options, JSON
    state       VARCHAR NOT NULL,            -- module.dump_state(), JSON, without LM settings
    lineage     VARCHAR NOT NULL,            -- JSON: base program, optimiser, models, scores, cost
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

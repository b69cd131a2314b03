-- The gold set: parsed deep-review reports. `doc` holds the whole Report model as canonical
-- JSON (what `harness show --json` prints); the flat tables below are for queries.
CREATE TABLE reports (
    id            VARCHAR PRIMARY KEY,
    source        VARCHAR,
    content_hash  VARCHAR NOT NULL,
    date          VARCHAR,
    repo          VARCHAR,
    pr            INTEGER,
    round         INTEGER,
    branch        VARCHAR,
    has_retro     BOOLEAN NOT NULL,
    n_warnings    INTEGER NOT NULL,
    doc           VARCHAR NOT NULL,
    ingested_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE reviewers (
    report_id  VARCHAR NOT NULL,
    idx        INTEGER NOT NULL,
    agent      VARCHAR NOT NULL,
    model      VARCHAR NOT NULL,
    effort     VARCHAR,
    available  BOOLEAN NOT NULL,
    PRIMARY KEY (report_id, idx)
);

-- Consolidated (gold) findings.
CREATE TABLE findings (
    report_id       VARCHAR NOT NULL,
    idx             INTEGER NOT NULL,
    id              VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    agents          VARCHAR[],
    locations       STRUCT(path VARCHAR, line_start INTEGER, line_end INTEGER)[],
    body            VARCHAR,
    tags            VARCHAR[],
    reconciliation  VARCHAR,
    PRIMARY KEY (report_id, idx)
);

-- Findings of each agent's original review (appendix).
CREATE TABLE agent_findings (
    report_id   VARCHAR NOT NULL,
    agent       VARCHAR NOT NULL,
    model       VARCHAR,
    pass        INTEGER,
    idx         INTEGER NOT NULL,
    id          VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    locations   STRUCT(path VARCHAR, line_start INTEGER, line_end INTEGER)[],
    body        VARCHAR,
    tags        VARCHAR[],
    withdrawn   BOOLEAN NOT NULL,
    PRIMARY KEY (report_id, agent, idx)
);

CREATE TABLE observations (
    report_id  VARCHAR NOT NULL,
    idx        INTEGER NOT NULL,
    kind       VARCHAR NOT NULL,
    title      VARCHAR,
    text       VARCHAR NOT NULL,
    agents     VARCHAR[],
    PRIMARY KEY (report_id, idx)
);

-- Published retro Summary table, one row per (metric, agent) cell.
CREATE TABLE retro_cells (
    report_id  VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    agent      VARCHAR NOT NULL,
    raw        VARCHAR NOT NULL,
    value      VARCHAR,            -- parsed value as JSON
    PRIMARY KEY (report_id, metric, agent)
);

CREATE TABLE resolutions (
    report_id    VARCHAR NOT NULL,
    idx          INTEGER NOT NULL,
    ref          VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,
    note         VARCHAR,
    finding_ids  VARCHAR[],
    PRIMARY KEY (report_id, idx)
);

CREATE TABLE parse_warnings (
    report_id  VARCHAR NOT NULL,
    idx        INTEGER NOT NULL,
    "where"    VARCHAR NOT NULL,
    message    VARCHAR NOT NULL,
    PRIMARY KEY (report_id, idx)
);

-- Files that could not be ingested at all, with the reason (the good ones still land).
CREATE TABLE ingest_failures (
    source        VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    failed_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (source, content_hash)
);

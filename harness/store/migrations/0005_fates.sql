-- Fates of original agent findings (issue 4): the gold labels programs are scored against,
-- and per (report, agent) facts the leaderboard aggregates. Rebuilt from `reports.doc`
-- whenever a report's content hash changes (content_hash says which version they describe).
CREATE TABLE fates (
    report_id              VARCHAR NOT NULL,
    agent                  VARCHAR NOT NULL,
    idx                    INTEGER NOT NULL,   -- = agent_findings.idx (passes concatenated)
    model                  VARCHAR,
    pass                   INTEGER,
    finding_id             VARCHAR NOT NULL,
    severity               VARCHAR NOT NULL,   -- the agent's own severity
    title                  VARCHAR NOT NULL,
    fate                   VARCHAR NOT NULL,   -- kept|downgraded|upgraded|merged|dropped|false_positive|demoted|unmatched
    consolidated_id        VARCHAR,
    consolidated_severity  VARCHAR,
    affinity               DOUBLE,
    source                 VARCHAR NOT NULL,   -- matcher|reconciliation|note|retro|observation|withdrawn|none
    evidence               VARCHAR NOT NULL,
    PRIMARY KEY (report_id, agent, idx)
);

-- One row per reviewer of a report: what the leaderboard needs besides the fates.
CREATE TABLE retro_agents (
    report_id           VARCHAR NOT NULL,
    agent               VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    content_hash        VARCHAR NOT NULL,
    date                VARCHAR,
    pr                  INTEGER,
    credited_critical   INTEGER NOT NULL,   -- consolidated findings whose attribution names the agent
    credited_important  INTEGER NOT NULL,
    credited_suggestion INTEGER NOT NULL,
    unique_insights     INTEGER NOT NULL,   -- consolidated findings credited to this agent alone
    consolidated_total  INTEGER NOT NULL,
    duration_s          DOUBLE,             -- published (cannot be recomputed from the report)
    tool_calls          INTEGER,            -- published
    PRIMARY KEY (report_id, agent)
);

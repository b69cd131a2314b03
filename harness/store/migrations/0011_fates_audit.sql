-- Fates you can audit (issue 12). Fates are derived data, rebuilt from `reports.doc`: the table is
-- recreated with the rule that decided each fate and the reviewer's family, and every report's
-- fates are recomputed (they were computed by rules that let a retro paragraph override a
-- reconciliation statement).
DROP TABLE fates;
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
    source                 VARCHAR NOT NULL,   -- where the deciding words are (reconciliation, note, retro, ...)
    evidence               VARCHAR NOT NULL,   -- the sentence (or matcher pairing) that decided it
    rule                   VARCHAR NOT NULL,   -- harness.gold.fates.Rule: which precedence rule decided it
    family                 VARCHAR,            -- the reviewer's model family
    PRIMARY KEY (report_id, agent, idx)
);
DELETE FROM retro_agents;

-- Per report: which fate rules computed its fates (stale when they change) and the convention of
-- its published Summary `Findings` cell (the agent's original findings, or the consolidated
-- findings credited to it), decided from the report's own numbers.
CREATE TABLE fate_reports (
    report_id            VARCHAR PRIMARY KEY,
    content_hash         VARCHAR NOT NULL,
    rules_version        VARCHAR NOT NULL,
    convention           VARCHAR NOT NULL,   -- original | credited
    convention_evidence  VARCHAR NOT NULL
);

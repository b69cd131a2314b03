-- Case memo: a finished case's scored outcome, keyed by everything that decides it (program
-- hash, model settings without secrets, input hash, epoch, scorer, gold, code and DSPy
-- versions), so a re-run whose model calls are all cached skips DSPy and scoring entirely.
-- Also maps a program's code fingerprint to its hash (kind 'program') so such a re-run need
-- not import DSPy to learn the hash. Pure cache: deleting every row changes no result.
CREATE TABLE case_memo (
    key         VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,   -- case | program
    value       VARCHAR NOT NULL,   -- JSON
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

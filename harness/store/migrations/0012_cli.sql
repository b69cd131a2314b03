-- A tune run is its own record with its own name (`harness tune --name`, default
-- PROGRAM-OPTIMIZER-BUDGET); the program it produced is identified by its content hash only.
-- Two tunes that produce the same program text are two named tune runs and one program.
ALTER TABLE tune_runs ADD COLUMN name VARCHAR;
UPDATE tune_runs SET name = p.name FROM programs p WHERE p.hash = tune_runs.program_hash;

-- What kind of failure a case met (the model client's kind: transport, rate_limit, timeout, ...;
-- `parse_failure` for an answer outside the schema), so a run can say what went wrong, by kind.
ALTER TABLE run_cases ADD COLUMN error_kind VARCHAR;

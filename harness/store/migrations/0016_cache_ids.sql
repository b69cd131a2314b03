-- The model-call cache and the case memo are looked up by a 64-bit id: the first 16 hex digits
-- of the sha256 of the key (harness.core.hashing.key_id). A run inserts into both tables for
-- every case, so DuckDB holds their primary-key index in memory while the file is open: indexed
-- by the 64-character key it grows by ~0.1 MB per 1,000 rows, by a UBIGINT ~0.03 (issue 16's flat
-- memory). The key itself stays, unindexed, and every lookup compares it too, so a hit is still
-- exact; two keys sharing an id (about 1 in 10^10 at a million rows) only means the second is not
-- cached.
CREATE TABLE model_calls_by_id (
    id                   UBIGINT PRIMARY KEY,
    key                  VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    epoch                INTEGER NOT NULL,
    response             VARCHAR NOT NULL,
    finish_reason        VARCHAR,
    input_tokens         BIGINT,
    output_tokens        BIGINT,
    cost                 DOUBLE,
    duration_s           DOUBLE NOT NULL,
    created_at           TIMESTAMP NOT NULL DEFAULT current_timestamp,
    cached_input_tokens  BIGINT
);
INSERT INTO model_calls_by_id
    SELECT ('0x' || left(sha256(key), 16))::UBIGINT, key, model, epoch, response, finish_reason, input_tokens,
           output_tokens, cost, duration_s, created_at, cached_input_tokens
    FROM model_calls ORDER BY created_at, key
    ON CONFLICT DO NOTHING;
DROP TABLE model_calls;
ALTER TABLE model_calls_by_id RENAME TO model_calls;

CREATE TABLE case_memo_by_id (
    id          UBIGINT PRIMARY KEY,
    key         VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- case | program
    value       VARCHAR NOT NULL,   -- JSON, or deflated JSON ("zlib:" + base64)
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO case_memo_by_id
    SELECT ('0x' || left(sha256(key), 16))::UBIGINT, key, kind, value, created_at
    FROM case_memo ORDER BY created_at, key
    ON CONFLICT DO NOTHING;
DROP TABLE case_memo;
ALTER TABLE case_memo_by_id RENAME TO case_memo;

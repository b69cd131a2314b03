-- Costs (#16): a model without a known price has cost NULL ("unknown"), never 0; cached input
-- tokens (the provider's prompt cache) are recorded; a run records where its price came from.
ALTER TABLE model_calls ALTER COLUMN cost DROP NOT NULL;
ALTER TABLE model_calls ADD COLUMN cached_input_tokens BIGINT;
ALTER TABLE run_cases ALTER COLUMN cost DROP NOT NULL;
ALTER TABLE run_cases ALTER COLUMN spent DROP NOT NULL;
ALTER TABLE run_cases ADD COLUMN cached_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ALTER COLUMN cost DROP NOT NULL;
ALTER TABLE runs ALTER COLUMN spent DROP NOT NULL;
ALTER TABLE runs ADD COLUMN cached_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN price_source VARCHAR;

-- Reviewers are models (issue 11): `agent` now holds the model label as the report's header
-- names it ("Gemini 3.5 Flash"); its family, status (available / dropped / no_output / omitted /
-- external) and the reason text sit beside it.
ALTER TABLE reviewers ADD COLUMN family VARCHAR;
ALTER TABLE reviewers ADD COLUMN status VARCHAR;
ALTER TABLE reviewers ADD COLUMN note VARCHAR;
ALTER TABLE agent_findings ADD COLUMN family VARCHAR;
UPDATE reviewers SET family = agent, status = CASE WHEN available THEN 'available' ELSE 'dropped' END;
UPDATE agent_findings SET family = agent;
-- Reports parsed before this keep loading (the models read the old shape), but their agents are
-- families: a changed hash makes the next ingest of the same file parse it again.
UPDATE reports SET content_hash = content_hash || ':pre-0010';

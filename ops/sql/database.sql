-- Once, in a new database kasus (owned by kasus_owner): nobody but the
-- owner creates objects; trigram indexes for person search.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO kasus_owner;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The GIN index over the read records' refs (who a read concerns) takes
-- new entries into its pending list and merges that list into the index
-- when it outgrows gin_pending_list_limit (4 MB by default). The merge ran
-- inside whichever INSERT crossed the limit: an audit writer's batch, with
-- every audited answer of that batch waiting for it (issue 13: 40-110 ms
-- stalls every few seconds under the person search, whose read records
-- name 20 to 60 persons and dossiers each; the search's p99 was 5.9 times
-- the bare query's). Now the node's sealer merges the list after each
-- seal round (audit_read_refs_merge(), every audit_seal_ms), off the path
-- of any answer, and the limit is raised so that a writer's insert
-- reaches it only when the sealer has not run for a long time. Searches
-- of the audit screen read the pending list linearly; it now holds at
-- most a seal interval's reads.
ALTER INDEX audit_read_refs SET (gin_pending_list_limit = 32768);

-- gin_clean_pending_list() requires the index's owner; the application
-- role gets this one function, which touches no row and returns the
-- number of pending pages merged.
CREATE FUNCTION audit_read_refs_merge() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT gin_clean_pending_list('audit_read_refs'::regclass) $$;
REVOKE ALL ON FUNCTION audit_read_refs_merge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_read_refs_merge() TO kasus_app;

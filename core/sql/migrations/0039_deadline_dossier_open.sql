-- A dossier's next open deadline by its key (issue 13). dossier_overview
-- (case_show, case_get, case_list) takes min(due_on) of the dossier's open
-- deadlines in a subplan. Without statistics on deadline (a new or freshly
-- loaded table, until autovacuum's ANALYZE: the bench's data set gets
-- 80,000 review_due deadlines from the daily job right before its rounds)
-- the generic plan read that through deadline_open (tenant_id,
-- assignee_id, due_on), the tenant's every open deadline filtered by
-- dossier: 20,000 rows and 10 ms for one dossier read of bench-big,
-- instead of 0.05 ms. This index matches the subplan exactly (both keys,
-- the same partial predicate, due_on in order for min()), so the planner
-- takes it with statistics or without, as an index-only scan of one entry.
CREATE INDEX deadline_dossier_open ON deadline (tenant_id, dossier_id, due_on)
    WHERE done_on IS NULL;

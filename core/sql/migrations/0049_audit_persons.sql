-- The persons an audit entry concerns, by name ({id, name}, ordered by
-- name): what both lists of the audit screen show beside each change and
-- each read (queries/audit.sql, audit_list and audit_reads_list), written
-- once. Row-level security of person applies to the caller.
CREATE FUNCTION audit_persons(refs bigint[], t bigint) RETURNS json
    LANGUAGE sql STABLE AS $$
SELECT json_agg(json_build_object('id', p.id, 'name',
       p.last_name || ' ' || p.first_name) ORDER BY p.last_name,
       p.first_name, p.id)
  FROM person p
 WHERE p.tenant_id = t AND p.id = ANY (audit_refs(refs, t))
$$;
GRANT EXECUTE ON FUNCTION audit_persons(bigint[], bigint) TO kasus_app;

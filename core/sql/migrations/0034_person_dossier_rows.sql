-- A person's dossiers as a set-returning SQL function, so that the planner
-- inlines it into the search (LEFT JOIN LATERAL person_dossier_rows(p.id)):
-- one plan for the whole statement, kept with the prepared statement. The
-- scalar person_dossiers() of 0021 was a function call per search hit
-- whose body PostgreSQL parsed and planned again on every execution (two
-- thirds of a search's time with 20 hits). Not STRICT and STABLE, as
-- inlining needs; row-level security applies as before. Always one row:
-- dossiers is NULL when the person has none.
CREATE FUNCTION person_dossier_rows(p bigint) RETURNS TABLE (dossiers json)
LANGUAGE sql STABLE AS $$
SELECT json_agg(json_build_object('id', d.id, 'module', d.module,
       'state', d.state, 'opened_on', d.opened_on, 'closed_on', d.closed_on,
       'is_applicant', d.applicant_id = p,
       'caseworker', CASE WHEN u.id IS NOT NULL THEN json_build_object(
           'id', u.id, 'display_name', u.display_name) END)
       ORDER BY d.id DESC)
  FROM dossier d
  LEFT JOIN app_user u ON u.tenant_id = d.tenant_id AND u.id = d.caseworker_id
 WHERE d.tenant_id = kasus_tenant()
   AND d.id IN (
        SELECT a.id FROM dossier a
         WHERE a.tenant_id = kasus_tenant() AND a.applicant_id = p
        UNION
        SELECT h.id FROM household_member m
          JOIN dossier h ON h.tenant_id = m.tenant_id
                        AND h.household_id = m.household_id
         WHERE m.tenant_id = kasus_tenant() AND m.person_id = p)
$$;

-- The scalar form (one person's page) written once, through the above.
CREATE OR REPLACE FUNCTION person_dossiers(p bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT dossiers FROM person_dossier_rows(p)
$$;

-- The canton's tenant, which every rule pack resolution and every read of
-- rule_pack asks through its row-level security policy: as a SQL function
-- with a LIMIT (never inlined) its body was parsed and planned on every
-- call, 75-280 us a call, once or more per rule evaluation. PL/pgSQL keeps
-- the plan of its statement for the session.
CREATE OR REPLACE FUNCTION kasus_canton_tenant() RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT id FROM tenant WHERE kind = 'canton' ORDER BY id LIMIT 1);
END
$$;

-- Retention (issue 15): closed dossiers are deleted for good when the
-- canton's `retention` rule pack says their period is over (core/retention.c,
-- job core.retention). A legal hold stops it; what each run deleted is kept
-- as counts, without personal data.

-- A legal hold: the dossier is not deleted while it is set (a pending
-- appeal, a criminal complaint, a request of the data-protection officer).
ALTER TABLE dossier ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
    ADD COLUMN legal_hold_reason text
	CHECK (length(legal_hold_reason) BETWEEN 1 AND 500),
    ADD COLUMN legal_hold_by bigint,
    ADD COLUMN legal_hold_at timestamptz;
CREATE INDEX dossier_closed ON dossier (tenant_id, closed_on)
    WHERE state = 'closed';

-- One row per retention job: what it deleted, per kind (table), and the
-- rule version that set the periods. Ids and counts only.
CREATE TABLE retention_run (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	job_id		bigint NOT NULL,
	run_on		date NOT NULL,
	periods		jsonb NOT NULL,	-- the pack's answer and its version
	dossiers	integer NOT NULL DEFAULT 0,
	counts		jsonb NOT NULL DEFAULT '{}',	-- table -> rows
	keys_shredded	integer NOT NULL DEFAULT 0,
	held		integer NOT NULL DEFAULT 0,
	waiting		integer NOT NULL DEFAULT 0,	-- accounting records
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, job_id)
);
ALTER TABLE retention_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_run FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_run
    USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON retention_run TO kasus_app;

-- Delete the rows of rel whose column col is one of ids, in the current
-- tenant only, after the rows of every table that refers to them (found
-- in the catalogue, so a module's tables are reached without the core
-- naming them). Adds the rows deleted per table to counts.
CREATE FUNCTION retention_cascade(p_rel regclass, p_col text, p_ids bigint[],
    p_counts jsonb, p_depth integer) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	t bigint := kasus_tenant();
	fk record;
	vals bigint[];
	n bigint;
	pass integer;
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'retention without tenant' USING ERRCODE = '42501';
	END IF;
	IF p_depth > 8 THEN
		RAISE EXCEPTION 'retention: references nested too deep at %',
		    p_rel;
	END IF;
	IF p_ids IS NULL OR cardinality(p_ids) = 0 THEN
		RETURN p_counts;
	END IF;
	-- Twice: a trigger on a child may write again to another child.
	FOR pass IN 1..2 LOOP
		FOR fk IN
			SELECT c.conrelid::regclass AS child,
			       ca.attname AS child_col, pa.attname AS parent_col
			  FROM pg_constraint c
			  JOIN LATERAL unnest(c.conkey, c.confkey)
			       AS k(ck, pk) ON true
			  JOIN pg_attribute ca ON ca.attrelid = c.conrelid
			       AND ca.attnum = k.ck
			  JOIN pg_attribute pa ON pa.attrelid = c.confrelid
			       AND pa.attnum = k.pk
			 WHERE c.contype = 'f' AND c.confrelid = p_rel
			   AND pa.attname <> 'tenant_id'
			   AND format_type(pa.atttypid, pa.atttypmod) = 'bigint'
			 ORDER BY c.conrelid::regclass::text, c.conname
		LOOP
			IF NOT EXISTS (SELECT 1 FROM pg_attribute a
			    WHERE a.attrelid = fk.child AND a.attname = 'tenant_id'
			      AND NOT a.attisdropped) THEN
				RAISE EXCEPTION 'retention: % has no tenant_id',
				    fk.child;
			END IF;
			IF fk.parent_col = p_col THEN
				vals := p_ids;
			ELSE
				EXECUTE format('SELECT array_agg(%I) FROM %s '
				    'WHERE tenant_id = $1 AND %I = ANY($2)',
				    fk.parent_col, p_rel, p_col)
				    INTO vals USING t, p_ids;
			END IF;
			IF fk.child = p_rel THEN
				-- a version chain inside one table: cut it
				EXECUTE format('UPDATE %s SET %I = NULL WHERE '
				    'tenant_id = $1 AND %I = ANY($2)', fk.child,
				    fk.child_col, fk.child_col) USING t, vals;
				CONTINUE;
			END IF;
			p_counts := retention_cascade(fk.child, fk.child_col,
			    vals, p_counts, p_depth + 1);
		END LOOP;
	END LOOP;
	EXECUTE format('DELETE FROM %s WHERE tenant_id = $1 AND %I = ANY($2)',
	    p_rel, p_col) USING t, p_ids;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		p_counts := jsonb_set(p_counts, ARRAY[p_rel::text],
		    to_jsonb(coalesce((p_counts ->> p_rel::text)::bigint, 0) +
		    n));
	END IF;
	RETURN p_counts;
END $$;
REVOKE ALL ON FUNCTION retention_cascade(regclass, text, bigint[], jsonb,
    integer) FROM PUBLIC;

-- Delete a closed dossier of the current tenant that is due: everything
-- that refers to it (journal, deadlines, documents and their bytes, the
-- client account, a module's budgets, decisions, payment lines ...), then
-- its household when no other dossier names it, then each of its persons
-- whom no other record names any more (a person still in a household of
-- another dossier, or named by another record, stays). Returns the rows
-- deleted per table and the ids of the value keys that sealed the deleted
-- persons' protected fields (AHV numbers; format "KSV2" | key id | ...,
-- core/datakey.h), which the caller destroys after the commit. NULL for a
-- dossier that is not due: not closed before p_closed_before, on legal
-- hold, or with bookings on or after p_books_before (the rules' periods,
-- checked here again so that no caller can delete early).
CREATE FUNCTION retention_purge_dossier(p_dossier bigint,
    p_closed_before date, p_books_before date)
    RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
	t bigint := kasus_tenant();
	d record;
	c jsonb := '{}';
	p bigint;
	persons bigint[];
	gone text[] := '{}';
	enc bytea;
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'retention without tenant' USING ERRCODE = '42501';
	END IF;
	SELECT x.id, x.household_id, x.applicant_id INTO d FROM dossier x
	 WHERE x.tenant_id = t AND x.id = p_dossier AND x.state = 'closed'
	   AND x.closed_on < p_closed_before AND NOT x.legal_hold
	   AND NOT EXISTS (SELECT 1 FROM ledger_entry e
	        WHERE e.tenant_id = t AND e.dossier_id = x.id
	          AND e.booked_on >= p_books_before)
	   FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(DISTINCT m.person_id) INTO persons
	  FROM household_member m
	 WHERE m.tenant_id = t AND m.household_id = d.household_id;
	persons := array_append(coalesce(persons, '{}'), d.applicant_id);
	c := retention_cascade('dossier', 'id', ARRAY[d.id], c, 0);
	IF NOT EXISTS (SELECT 1 FROM dossier x WHERE x.tenant_id = t
	    AND x.household_id = d.household_id) THEN
		BEGIN
			c := retention_cascade('household', 'id',
			    ARRAY[d.household_id], c, 0);
		EXCEPTION WHEN foreign_key_violation THEN
			NULL;	-- another record names it: it stays
		END;
	END IF;
	FOREACH p IN ARRAY persons LOOP
		BEGIN
			SELECT x.ahv_enc INTO enc FROM person x
			 WHERE x.tenant_id = t AND x.id = p;
			-- the person's own details go with the person; anything
			-- else that names the person keeps it
			DELETE FROM person_address
			 WHERE tenant_id = t AND person_id = p;
			DELETE FROM person WHERE tenant_id = t AND id = p;
			IF FOUND THEN
				c := jsonb_set(c, '{person}', to_jsonb(coalesce(
				    (c ->> 'person')::bigint, 0) + 1));
				IF substring(enc FROM 1 FOR 4) =
				    decode('4b535632', 'hex') THEN
					gone := array_append(gone, encode(
					    substring(enc FROM 5 FOR 16), 'hex'));
				END IF;
			END IF;
		EXCEPTION WHEN foreign_key_violation THEN
			NULL;
		END;
	END LOOP;
	RETURN jsonb_build_object('counts', c, 'keys', to_jsonb(gone));
END $$;
REVOKE ALL ON FUNCTION retention_purge_dossier(bigint, date, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention_purge_dossier(bigint, date, date)
    TO kasus_app;

INSERT INTO permission (code, description) VALUES
	('retention.read', 'see what retention deletes and deleted'),
	('retention.hold', 'set or lift a legal hold on a dossier');
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'retention.read'),
	('tenant_admin', 'retention.hold'),
	('auditor', 'retention.read');

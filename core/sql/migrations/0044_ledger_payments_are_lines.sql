-- A client account's payments are the exported lines of the payment
-- runs themselves, not a copy of them. The export job used to write a
-- ledger entry per line (the same dossier, amount, text and end-to-end
-- id, booked on the run's execution date): a second record of every
-- payment, and 250 ms of PostgreSQL's work in exporting a 20,000-line
-- run (the insert, its three indexes and its foreign key check; issue
-- 13; it ran beside the file's writing and schema check, which alone
-- set the export's time now). The lines of an approved run are frozen
-- (payment_frozen) and, from now on, kept (payment_lines_kept below),
-- so the view gives every payment once, exactly as it was booked, from
-- the moment its run is marked exported (in the transaction that made
-- the file).
--
-- ledger_entry keeps what is booked apart from runs (corrections of
-- returned payments, repayments, claims, income). Both take their ids
-- from object_id_seq, so the view's ids are unique and page as before.
CREATE VIEW ledger WITH (security_invoker = true) AS
SELECT e.tenant_id, e.id, e.dossier_id, e.booked_on, e.kind, e.amount,
       e.text, e.ref, e.created_at
  FROM ledger_entry e
UNION ALL
SELECT l.tenant_id, l.id, l.dossier_id, r.exec_date, 'payment', -l.amount,
       left(l.ustrd, 140), l.end_to_end_id, r.exported_at
  FROM payment_line l
  JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
 WHERE r.exported_at IS NOT NULL AND l.status <> 'held';
GRANT SELECT ON ledger TO kasus_app;

-- The entries the export wrote before are the view's payments: each is
-- dropped only where it equals its line's in every field, and any that
-- would then be counted twice stops the migration.
DELETE FROM ledger_entry e
 USING payment_line l, payment_run r
 WHERE e.kind = 'payment' AND l.tenant_id = e.tenant_id
   AND l.end_to_end_id = e.ref AND r.tenant_id = l.tenant_id
   AND r.id = l.run_id AND r.exported_at IS NOT NULL
   AND l.status <> 'held' AND e.dossier_id = l.dossier_id
   AND e.amount = -l.amount AND e.booked_on = r.exec_date
   AND e.text = left(l.ustrd, 140);
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM ledger_entry e
	    JOIN payment_line l ON l.tenant_id = e.tenant_id
	     AND l.end_to_end_id = e.ref
	    JOIN payment_run r ON r.tenant_id = l.tenant_id AND r.id = l.run_id
	   WHERE e.kind = 'payment' AND r.exported_at IS NOT NULL) THEN
		RAISE EXCEPTION 'ledger entries differ from the payment lines '
		    'they booked: see ledger_entry rows of kind payment whose '
		    'ref is an exported line''s end_to_end_id';
	END IF;
END $$;

-- The lines of a run that is no longer a draft are the run's file and
-- the client accounts' payments: the application deletes only a
-- draft's (recomputing or discarding it). Retention, which deletes a
-- dossier with its payments after the accounting period, runs as the
-- tables' owner.
CREATE FUNCTION payment_lines_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF current_user <> (SELECT pg_get_userbyid(c.relowner) FROM pg_class c
	    WHERE c.oid = TG_RELID) AND EXISTS (SELECT 1 FROM gone_lines g
	    JOIN payment_run r ON r.tenant_id = g.tenant_id AND r.id = g.run_id
	    WHERE r.status <> 'draft') THEN
		RAISE EXCEPTION 'the lines of an approved payment run are kept'
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'payment_line_kept';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER payment_lines_kept AFTER DELETE ON payment_line
    REFERENCING OLD TABLE AS gone_lines
    FOR EACH STATEMENT EXECUTE FUNCTION payment_lines_kept();

-- Retention checks the last booking of a dossier in the view.
CREATE OR REPLACE FUNCTION retention_purge_dossier(p_dossier bigint,
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
	   AND NOT EXISTS (SELECT 1 FROM ledger e
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

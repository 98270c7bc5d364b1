-- The dossier read's answer, stored (issue 13, the audited dossier read).
--
-- GET /api/v1/cases/{id} is the read a case worker makes all day. Its
-- statement (case_show: the dossier, its applicant, municipality, case
-- worker, next open deadline, state history with actors and household
-- members with their ages) touches nine relations in about twenty plan
-- nodes; its executor start-up alone cost more than a whole read of one
-- row (pgbench, 64 clients: 10,300-13,000 a second against 54,000-57,000
-- for one row of this table). This table keeps each dossier's answer as
-- case_show computed it, for the day it was computed for (on_date: the
-- members and their ages depend on the day).
--
-- The rules that keep it exact:
-- - Every dossier has its row from its creation (the insert trigger; the
--   rows of the dossiers that exist are made below).
-- - Every write that can change an answer makes the answers it touches
--   stale in the same statement, so in the same transaction: gen + 1,
--   on_date and every answer column NULL. A stale row holds no personal
--   data (a person erased or renamed is not kept here), and a read whose
--   snapshot sees the write also sees the row stale.
-- - A read that finds no current row computes the answer (case_show) and
--   stores it only if the row's gen is still the one its snapshot saw and
--   no writer holds the row (FOR UPDATE SKIP LOCKED, re-checked on the
--   row's latest version): an answer computed before a committed write
--   is never stored, and a read never waits for a writer.
--
-- The triggers run as the owner (SECURITY DEFINER; the owner role
-- bypasses row-level security): a municipality's name is canton data and
-- its dossiers are in every tenant. Each of them finds the dossiers by
-- tenant and key from the rows written, which row-level security let the
-- writer write.
CREATE TABLE dossier_answer (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	gen		bigint NOT NULL DEFAULT 0,
	on_date		date,
	module		text,
	kind		text,
	state		text,
	household_id	bigint,
	applicant_id	bigint,
	last_name	text,
	first_name	text,
	language	text,
	municipality_bfs integer,
	municipality	text,
	caseworker_id	bigint,
	caseworker	text,
	team		text,
	opened_on	date,
	closed_on	date,
	closure_reason	text,
	version		bigint,
	next_deadline	date,
	transferred_from text,
	number		text,
	history		json,
	members		json,
	PRIMARY KEY (tenant_id, dossier_id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier (tenant_id, id)
	    ON DELETE CASCADE
) WITH (fillfactor = 70);

ALTER TABLE dossier_answer ENABLE ROW LEVEL SECURITY;
ALTER TABLE dossier_answer FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dossier_answer
    USING (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
-- Reads, and the read's store of the answer it computed (case_show).
GRANT SELECT, UPDATE ON dossier_answer TO kasus_app;

INSERT INTO dossier_answer (tenant_id, dossier_id)
SELECT tenant_id, id FROM dossier;

-- Make the answers of the dossiers named (tenant and dossier ids, in
-- pairs) stale.
CREATE FUNCTION dossier_answer_stale(p_tenant bigint[], p_dossier bigint[])
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
UPDATE dossier_answer a
   SET gen = a.gen + 1, on_date = NULL, module = NULL, kind = NULL,
       state = NULL, household_id = NULL, applicant_id = NULL,
       last_name = NULL, first_name = NULL, language = NULL,
       municipality_bfs = NULL, municipality = NULL, caseworker_id = NULL,
       caseworker = NULL, team = NULL, opened_on = NULL, closed_on = NULL,
       closure_reason = NULL, version = NULL, next_deadline = NULL,
       transferred_from = NULL, number = NULL, history = NULL,
       members = NULL
  FROM unnest(p_tenant, p_dossier) AS x (tenant_id, dossier_id)
 WHERE a.tenant_id = x.tenant_id AND a.dossier_id = x.dossier_id
$$;

-- The dossier itself: its row on insert, stale on any change.
CREATE FUNCTION dossier_answer_dossier() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO dossier_answer (tenant_id, dossier_id)
		SELECT tenant_id, id FROM n;
	ELSE
		PERFORM dossier_answer_stale(array_agg(tenant_id), array_agg(id))
		   FROM n;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER dossier_answer_new AFTER INSERT ON dossier
    REFERENCING NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION dossier_answer_dossier();
CREATE TRIGGER dossier_answer_change AFTER UPDATE ON dossier
    REFERENCING NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION dossier_answer_dossier();

-- Rows that name a dossier, a household or a person (TG_ARGV: the
-- column, and which of the three it names): every dossier that shows
-- them. Deadlines give the next open one, transitions the history,
-- household members and persons the members; an applicant is a member
-- of the household too, but an ended membership keeps its dossier's
-- applicant. An update may move a row (a deadline to another dossier):
-- both the old and the new rows count.
CREATE FUNCTION dossier_answer_by_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	t bigint[];
	k bigint[];
BEGIN
	IF TG_OP <> 'DELETE' THEN
		EXECUTE format('SELECT array_agg(tenant_id), array_agg(%I) '
		    'FROM n', TG_ARGV[0]) INTO t, k;
	END IF;
	IF TG_OP <> 'INSERT' THEN
		EXECUTE format('SELECT $1 || array_agg(tenant_id), '
		    '$2 || array_agg(%I) FROM o', TG_ARGV[0]) INTO t, k
		    USING t, k;
	END IF;
	IF TG_ARGV[1] = 'household' THEN
		SELECT array_agg(d.tenant_id), array_agg(d.id) INTO t, k
		  FROM dossier d
		  JOIN (SELECT DISTINCT * FROM unnest(t, k) AS x (tenant_id, id)) x
		    ON d.tenant_id = x.tenant_id AND d.household_id = x.id;
	ELSIF TG_ARGV[1] = 'person' THEN
		SELECT array_agg(y.tenant_id), array_agg(y.id) INTO t, k
		  FROM (SELECT d.tenant_id, d.id
			  FROM unnest(t, k) AS x (tenant_id, id)
			  JOIN dossier d ON d.tenant_id = x.tenant_id
			       AND d.applicant_id = x.id
			UNION
			SELECT d.tenant_id, d.id
			  FROM unnest(t, k) AS x (tenant_id, id)
			  JOIN household_member m ON m.tenant_id = x.tenant_id
			       AND m.person_id = x.id
			  JOIN dossier d ON d.tenant_id = m.tenant_id
			       AND d.household_id = m.household_id) y;
	END IF;
	PERFORM dossier_answer_stale(t, k);
	RETURN NULL;
END $$;

-- A name the answers show: a user's display name (the dossiers the user
-- works on and those whose history names the user) or a municipality's
-- (its dossiers in every tenant).
CREATE FUNCTION dossier_answer_by_name() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	IF TG_TABLE_NAME = 'municipality' THEN
		PERFORM dossier_answer_stale(array_agg(tenant_id), array_agg(id))
		   FROM dossier WHERE municipality_bfs = NEW.bfs;
		RETURN NULL;
	END IF;
	PERFORM dossier_answer_stale(array_agg(tenant_id), array_agg(id))
	   FROM (SELECT d.tenant_id, d.id FROM dossier d
		  WHERE d.tenant_id = NEW.tenant_id AND d.caseworker_id = NEW.id
		 UNION
		 SELECT t.tenant_id, t.dossier_id FROM dossier_transition t
		  WHERE t.tenant_id = NEW.tenant_id AND t.actor_id = NEW.id) x;
	RETURN NULL;
END $$;

DO $$
DECLARE
	t text[];
BEGIN
	FOREACH t SLICE 1 IN ARRAY ARRAY[
	    ['deadline', 'dossier_id', 'dossier'],
	    ['dossier_transition', 'dossier_id', 'dossier'],
	    ['household_member', 'household_id', 'household'],
	    ['person', 'id', 'person']] LOOP
		IF t[1] <> 'person' THEN	-- a new person is in no dossier
			EXECUTE format('CREATE TRIGGER dossier_answer_new AFTER '
			    'INSERT ON %I REFERENCING NEW TABLE AS n FOR EACH '
			    'STATEMENT EXECUTE FUNCTION dossier_answer_by_key('
			    '%L, %L)', t[1], t[2], t[3]);
		END IF;
		EXECUTE format('CREATE TRIGGER dossier_answer_change AFTER '
		    'UPDATE ON %I REFERENCING OLD TABLE AS o NEW TABLE AS n '
		    'FOR EACH STATEMENT EXECUTE FUNCTION dossier_answer_by_key('
		    '%L, %L)', t[1], t[2], t[3]);
		EXECUTE format('CREATE TRIGGER dossier_answer_gone AFTER DELETE '
		    'ON %I REFERENCING OLD TABLE AS o FOR EACH STATEMENT '
		    'EXECUTE FUNCTION dossier_answer_by_key(%L, %L)', t[1], t[2],
		    t[3]);
	END LOOP;
END $$;
CREATE TRIGGER dossier_answer_name AFTER UPDATE OF display_name ON app_user
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION dossier_answer_by_name();
CREATE TRIGGER dossier_answer_name AFTER UPDATE OF name ON municipality
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION dossier_answer_by_name();

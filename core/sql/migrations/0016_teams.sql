-- Teams as records of their social service, readable dossier numbers,
-- assignment time, system reasons as codes, and deadlines the system
-- sets at most once per kind and due date.

-- A team of a social service, managed by the tenant's administrator.
-- Users and dossiers keep naming their team in the text column `team`
-- (code that compares team names keeps working); the foreign key on
-- (tenant_id, name) makes the name one of the tenant's teams and a
-- rename reaches every user and dossier (ON UPDATE CASCADE).
CREATE TABLE team (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 60
			AND name = btrim(name)),
	created_at	timestamptz NOT NULL DEFAULT now(),
	version		bigint NOT NULL DEFAULT 1,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name)
);

-- The free-text teams used so far become records.
UPDATE app_user SET team = btrim(team) WHERE team <> btrim(team);
UPDATE dossier SET team = nullif(btrim(team), '')
 WHERE team IS NOT NULL AND team <> btrim(team) OR team = '';
INSERT INTO team (tenant_id, name)
SELECT DISTINCT tenant_id, team FROM (
	SELECT tenant_id, team FROM app_user
	UNION SELECT tenant_id, team FROM dossier) x
 WHERE team IS NOT NULL;

ALTER TABLE app_user ADD CONSTRAINT app_user_team_fkey
    FOREIGN KEY (tenant_id, team) REFERENCES team (tenant_id, name)
    ON UPDATE CASCADE;
ALTER TABLE dossier ADD CONSTRAINT dossier_team_fkey
    FOREIGN KEY (tenant_id, team) REFERENCES team (tenant_id, name)
    ON UPDATE CASCADE;
CREATE INDEX app_user_team ON app_user (tenant_id, team);
CREATE INDEX dossier_team ON dossier (tenant_id, team)
    WHERE team IS NOT NULL;

-- Dossier numbers: "<year opened>-<five digits>", counted per tenant and
-- year, unique per tenant. A trigger numbers every new dossier, however
-- it is made (registration, transfer, imports).
CREATE TABLE dossier_counter (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	year		integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),
	last		integer NOT NULL CHECK (last > 0),
	PRIMARY KEY (tenant_id, year)
);

CREATE FUNCTION dossier_number_text(y integer, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT y::text || '-' || CASE WHEN n < 100000
	       THEN lpad(n::text, 5, '0') ELSE n::text END
$$;

ALTER TABLE dossier ADD COLUMN number text,
    ADD COLUMN assigned_at timestamptz;
UPDATE dossier d SET number = dossier_number_text(x.y, x.n),
       assigned_at = CASE WHEN d.caseworker_id IS NOT NULL
                     THEN d.created_at END
  FROM (SELECT tenant_id, id,
               extract(year FROM opened_on)::integer AS y,
               row_number() OVER (PARTITION BY tenant_id,
                   extract(year FROM opened_on) ORDER BY created_at, id) AS n
          FROM dossier) x
 WHERE x.tenant_id = d.tenant_id AND x.id = d.id;
INSERT INTO dossier_counter (tenant_id, year, last)
SELECT tenant_id, extract(year FROM opened_on)::integer, count(*)
  FROM dossier GROUP BY 1, 2;
ALTER TABLE dossier ALTER COLUMN number SET NOT NULL,
    ADD CONSTRAINT dossier_number_form
	CHECK (number ~ '^[0-9]{4}-[0-9]{5,}$');
CREATE UNIQUE INDEX dossier_number ON dossier (tenant_id,
    number text_pattern_ops);

CREATE FUNCTION dossier_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	y integer := extract(year FROM NEW.opened_on);
	n integer;
BEGIN
	IF NEW.number IS NOT NULL THEN
		RETURN NEW;
	END IF;
	INSERT INTO dossier_counter AS c (tenant_id, year, last)
	VALUES (NEW.tenant_id, y, 1)
	ON CONFLICT (tenant_id, year) DO UPDATE SET last = c.last + 1
	RETURNING c.last INTO n;
	NEW.number := dossier_number_text(y, n);
	RETURN NEW;
END $$;
CREATE TRIGGER dossier_number BEFORE INSERT ON dossier
    FOR EACH ROW EXECUTE FUNCTION dossier_number();

-- What the system writes as a transition's reason is a code the screens
-- show in the reader's language; `reason` stays a person's own words.
ALTER TABLE dossier_transition ADD COLUMN reason_code text
    CHECK (reason_code ~ '^[a-z_]{1,40}$');
UPDATE dossier_transition SET reason_code = 'decision_approved', reason = NULL
 WHERE reason = 'decision approved';
UPDATE dossier_transition SET reason_code = reason, reason = NULL
 WHERE to_state = 'closed' AND reason IN ('work', 'insurance', 'moved',
       'not_entitled', 'death', 'other');
UPDATE dossier_transition SET reason_code = 'transferred_in'
 WHERE from_state = '' AND to_state = 'registration'
   AND reason ~ '^[a-z0-9][a-z0-9-]*/[0-9]+$';

-- Deadlines of closed dossiers are done with the dossier.
UPDATE deadline x SET done_on = d.closed_on, version = x.version + 1
  FROM dossier d
 WHERE d.tenant_id = x.tenant_id AND d.id = x.dossier_id
   AND d.state = 'closed' AND x.done_on IS NULL;

-- The system sets each kind of deadline once per dossier and due date;
-- copies made before are dropped (the open one is kept).
DELETE FROM deadline x USING (
	SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id,
	       dossier_id, kind, due_on ORDER BY done_on NULLS FIRST, id) AS n
	  FROM deadline
	 WHERE kind IN ('review_due', 'missing_document', 'decision_expiring')
	) y
 WHERE y.tenant_id = x.tenant_id AND y.id = x.id AND y.n > 1;
CREATE UNIQUE INDEX deadline_auto_once ON deadline (tenant_id, dossier_id,
    kind, due_on)
    WHERE kind IN ('review_due', 'missing_document', 'decision_expiring');

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['team', 'dossier_counter'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
	END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON team TO kasus_app;
GRANT SELECT, INSERT, UPDATE ON dossier_counter TO kasus_app;

INSERT INTO permission (code, description) VALUES
	('tenant.teams', 'manage the own tenant''s teams');
INSERT INTO role_permission (role, permission) VALUES
	('tenant_admin', 'tenant.teams');

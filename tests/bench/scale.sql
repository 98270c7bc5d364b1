-- A canton-scale data set for make bench (not used by tests).
--   psql -v tenants=60 -v persons=150000 -v dossiers=80000 -v big=20000
-- Runs as the owner role (bypasses row-level security). Tenant
-- "bench-big" gets :big dossiers, the others share the rest. Every dossier
-- is ongoing with an approved budget and a year of payments in its client
-- account. Idempotent per database: it refuses to run twice.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$ BEGIN
	IF EXISTS (SELECT 1 FROM tenant WHERE slug = 'bench-big') THEN
		RAISE EXCEPTION 'the bench data set exists already';
	END IF;
END $$;

CREATE TEMP TABLE names (i int, last text, first text);
INSERT INTO names
SELECT row_number() OVER (), l, f
  FROM unnest(ARRAY['Müller','Meier','Schmid','Keller','Weber','Huber',
	'Schneider','Meyer','Steiner','Fischer','Gerber','Brunner','Baumann',
	'Frei','Zimmermann','Moser','Widmer','Wyss','Graf','Roth','Suter',
	'Baumgartner','Bachmann','Studer','Kaufmann','Bühler','Berger',
	'Lehmann','Marti','Kälin','Favre','Rochat','Girard','Perret','Blanc',
	'Bonvin','Rey','Morel','Dubois','Jacot']) AS l
 CROSS JOIN unnest(ARRAY['Anna','Peter','Maria','Hans','Ursula','Daniel','Ruth',
	'Thomas','Elisabeth','Andreas','Sandra','Marc','Nicole','Martin',
	'Laura','Luca','Sarah','David','Julia','Michael','Chantal','Pierre',
	'Sophie','Nicolas','Camille','Jean','Lea','Noah','Mia','Elias']) AS f;

-- Tenants, one municipality each, the module switched on.
INSERT INTO municipality (bfs, canton_id, name, population)
SELECT 5000 + g, (SELECT id FROM canton ORDER BY id LIMIT 1),
       'Benchgemeinde ' || g, 2000 + g * 37
  FROM generate_series(1, :tenants) g;
INSERT INTO tenant (canton_id, slug, name)
SELECT (SELECT id FROM canton ORDER BY id LIMIT 1),
       CASE WHEN g = 1 THEN 'bench-big' ELSE 'bench-' || lpad(g::text, 3, '0') END,
       'Bench-Sozialdienst ' || g
  FROM generate_series(1, :tenants) g;
CREATE TEMP TABLE bt AS
SELECT t.id, row_number() OVER (ORDER BY t.id) AS n
  FROM tenant t WHERE t.slug LIKE 'bench-%';
INSERT INTO tenant_municipality (tenant_id, bfs)
SELECT id, 5000 + n FROM bt;
INSERT INTO tenant_module (tenant_id, module, enabled, start_date)
SELECT id, 'sozialhilfe', true, '2025-01-01' FROM bt;
-- Users with the demo password (hash copied from the demo case worker).
INSERT INTO app_user (tenant_id, username, display_name, password_hash)
SELECT bt.id, u, initcap(u), (SELECT password_hash FROM app_user
	WHERE username = 'caseworker' ORDER BY id LIMIT 1)
  FROM bt, unnest(ARRAY['caseworker', 'teamlead', 'accounting']) u;
INSERT INTO user_role (tenant_id, user_id, role)
SELECT tenant_id, id, CASE username WHEN 'caseworker' THEN 'caseworker'
	WHEN 'teamlead' THEN 'teamlead' ELSE 'accounting' END
  FROM app_user WHERE tenant_id IN (SELECT id FROM bt);

-- Dossiers per tenant: the big one first, the rest spread evenly.
CREATE TEMP TABLE bd AS
SELECT g AS k,
       (SELECT id FROM bt WHERE n = CASE WHEN g <= :big THEN 1
	ELSE 2 + (g - :big - 1) % (:tenants - 1) END) AS tenant_id
  FROM generate_series(1, :dossiers) g;

-- Persons: one applicant per dossier, the others partners and children.
CREATE TEMP TABLE bp AS
SELECT g AS k, CASE WHEN g <= :dossiers THEN g
	ELSE 1 + (g * 7919) % :dossiers END AS dossier_k,
       CASE WHEN g <= :dossiers THEN 'applicant'
	WHEN g % 3 = 0 THEN 'partner' ELSE 'child' END AS role
  FROM generate_series(1, :persons) g;
ALTER TABLE bp ADD COLUMN id bigint;
UPDATE bp SET id = nextval('object_id_seq');
INSERT INTO person (tenant_id, id, last_name, first_name, birth_date,
	street, house_no, postcode, town, iban, language)
SELECT bd.tenant_id, bp.id, n.last, n.first,
       date '1950-01-01' + ((bp.k * 2654435761) % 25000)::int,
       'Bahnhofstrasse', (1 + bp.k % 120)::text, '3600', 'Thun',
       'CH9300762011623852957', CASE WHEN bp.k % 5 = 0 THEN 'fr' ELSE 'de' END
  FROM bp JOIN bd ON bd.k = bp.dossier_k
  JOIN names n ON n.i = 1 + (bp.k * 31) % 1200;
ANALYZE person;

ALTER TABLE bd ADD COLUMN household_id bigint, ADD COLUMN id bigint,
	ADD COLUMN applicant_id bigint;
UPDATE bd SET household_id = nextval('object_id_seq'),
	id = nextval('object_id_seq');
UPDATE bd SET applicant_id = bp.id FROM bp
 WHERE bp.k = bd.k AND bp.role = 'applicant';
INSERT INTO household (tenant_id, id, name)
SELECT tenant_id, household_id, 'Haushalt ' || k FROM bd;
INSERT INTO household_member (tenant_id, household_id, person_id, role,
	valid_from)
SELECT bd.tenant_id, bd.household_id, bp.id, bp.role, '2024-01-01'
  FROM bp JOIN bd ON bd.k = bp.dossier_k;
INSERT INTO dossier (tenant_id, id, module, household_id, applicant_id,
	state, municipality_bfs, opened_on)
SELECT bd.tenant_id, bd.id, 'sozialhilfe', bd.household_id, bd.applicant_id,
       'ongoing', 5000 + bt.n, '2024-12-01'
  FROM bd JOIN bt ON bt.id = bd.tenant_id;
INSERT INTO sh_budget (tenant_id, dossier_id, valid_from, input, need,
	income_counted, payment, provenance, status, created_by, approved_by,
	approved_at)
SELECT bd.tenant_id, bd.id, '2025-01-01', '{}', 250000 + (bd.k % 97) * 1000,
       0, 150000 + (bd.k % 151) * 1000, '[]', 'approved',
       (SELECT id FROM app_user u WHERE u.tenant_id = bd.tenant_id
	 AND username = 'caseworker'),
       (SELECT id FROM app_user u WHERE u.tenant_id = bd.tenant_id
	 AND username = 'teamlead'), now()
  FROM bd;
-- A year of payment history in the client accounts.
INSERT INTO ledger_entry (tenant_id, dossier_id, booked_on, kind, amount,
	text, ref)
SELECT bd.tenant_id, bd.id, (date '2025-01-25' + make_interval(months => m))::date,
       'payment', -(150000 + (bd.k % 151) * 1000), 'Unterstützung',
       'H' || bd.id || '-' || m
  FROM bd, generate_series(0, 11) m;
ANALYZE person, household, household_member, dossier, sh_budget,
    ledger_entry;

-- The Alimentenhilfe data set for make bench (not used by tests):
--   psql -v titles=8000 -v children=12000 -v months=60
-- One service, "bench-ah", with :titles advance dossiers (one title
-- each), :children children over them (the first dossiers have two),
-- :months months of schedule up to the month before 2030-01, an approved
-- advance for three children in five, the advances paid by one approved
-- run a month, and the debtor's payment in seven months of ten, split
-- over the month's items, the children's parts passed on by that run.
-- Runs as the owner role (bypasses row-level security); refuses to run
-- twice.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$ BEGIN
	IF EXISTS (SELECT 1 FROM tenant WHERE slug = 'bench-ah') THEN
		RAISE EXCEPTION 'the Alimentenhilfe bench data set exists already';
	END IF;
END $$;

-- The QR reference: 26 digits and the mod-10 recursive check digit.
CREATE FUNCTION pg_temp.qrr(n bigint) RETURNS text LANGUAGE plpgsql
    IMMUTABLE AS $$
DECLARE
	t int[] := ARRAY[0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
	s text := lpad(n::text, 26, '0');
	c int := 0;
	i int;
BEGIN
	FOR i IN 1..26 LOOP
		c := t[1 + (c + substr(s, i, 1)::int) % 10];
	END LOOP;
	RETURN s || ((10 - c) % 10)::text;
END $$;

INSERT INTO municipality (bfs, canton_id, name, population)
VALUES (5999, (SELECT id FROM canton ORDER BY id LIMIT 1),
	'Benchgemeinde Alimente', 90000)
ON CONFLICT DO NOTHING;
INSERT INTO tenant (canton_id, slug, name)
VALUES ((SELECT id FROM canton ORDER BY id LIMIT 1), 'bench-ah',
	'Bench-Sozialdienst Alimente');
CREATE TEMP TABLE ah_t AS SELECT id FROM tenant WHERE slug = 'bench-ah';
INSERT INTO tenant_municipality (tenant_id, bfs)
SELECT id, 5999 FROM ah_t;
INSERT INTO tenant_module (tenant_id, module, enabled, start_date)
SELECT id, m, true, '2020-01-01' FROM ah_t,
    unnest(ARRAY['sozialhilfe', 'alimente']) m;
INSERT INTO app_user (tenant_id, username, display_name, password_hash)
SELECT ah_t.id, u, initcap(u), (SELECT password_hash FROM app_user
	WHERE username = 'caseworker' ORDER BY id LIMIT 1)
  FROM ah_t, unnest(ARRAY['caseworker', 'teamlead', 'accounting']) u;
INSERT INTO user_role (tenant_id, user_id, role)
SELECT tenant_id, id, username FROM app_user
 WHERE tenant_id = (SELECT id FROM ah_t);
INSERT INTO payment_account (tenant_id, name, iban, street, house_no,
	postcode, town, country, updated_by)
SELECT id, 'Bench-Sozialdienst Alimente', 'CH9300762011623852957',
       'Bahnhofstrasse', '1', '3600', 'Thun', 'CH', 0 FROM ah_t;

-- Dossiers: a parent (the applicant, paid), a debtor, one or two
-- children.
CREATE TEMP TABLE ad AS
SELECT g AS k, nextval('object_id_seq') AS id,
       nextval('object_id_seq') AS household_id,
       nextval('object_id_seq') AS parent_id,
       nextval('object_id_seq') AS debtor_id,
       nextval('object_id_seq') AS title_id
  FROM generate_series(1, :titles) g;
CREATE TEMP TABLE ac AS
SELECT g AS k, 1 + (g - 1) % :titles AS dossier_k,
       nextval('object_id_seq') AS person_id,
       nextval('object_id_seq') AS id,
       60000 + (g % 7) * 10000 AS amount
  FROM generate_series(1, :children) g;
INSERT INTO person (tenant_id, id, last_name, first_name, birth_date,
	street, house_no, postcode, town, iban, language)
SELECT (SELECT id FROM ah_t), p.id, 'Muster' || ad.k, p.first,
       p.birth, 'Bahnhofstrasse', (1 + ad.k % 120)::text, '3600', 'Thun',
       p.iban, CASE WHEN ad.k % 5 = 0 THEN 'fr' ELSE 'de' END
  FROM ad, LATERAL (VALUES
	(ad.parent_id, 'Andrea', date '1985-03-01' + (ad.k % 3000),
	 'CH9300762011623852957'),
	(ad.debtor_id, 'Beat', date '1983-05-01' + (ad.k % 3000), NULL))
	AS p(id, first, birth, iban);
INSERT INTO person (tenant_id, id, last_name, first_name, birth_date,
	street, house_no, postcode, town, language)
SELECT (SELECT id FROM ah_t), ac.person_id, 'Muster' || ac.dossier_k,
       'Kind' || ac.k, date '2010-01-15' + (ac.k * 37 % 4000),
       'Bahnhofstrasse', '1', '3600', 'Thun', 'de'
  FROM ac;
INSERT INTO household (tenant_id, id, name)
SELECT (SELECT id FROM ah_t), household_id, 'Haushalt ' || k FROM ad;
INSERT INTO household_member (tenant_id, household_id, person_id, role,
	valid_from)
SELECT (SELECT id FROM ah_t), ad.household_id, ad.parent_id, 'applicant',
       date '2020-01-01' FROM ad
UNION ALL
SELECT (SELECT id FROM ah_t), ad.household_id, ac.person_id, 'child',
       date '2020-01-01' FROM ac JOIN ad ON ad.k = ac.dossier_k;
INSERT INTO dossier (tenant_id, id, module, kind, household_id,
	applicant_id, state, municipality_bfs, opened_on)
SELECT (SELECT id FROM ah_t), id, 'alimente', 'alimente', household_id,
       parent_id, 'voluntary', 5999, '2020-12-01'
  FROM ad;
INSERT INTO ah_title (tenant_id, id, dossier_id, title_kind, authority,
	decided_on, enforceable_on, applied_on, debtor_id, debtor_reference,
	created_by)
SELECT (SELECT id FROM ah_t), title_id, id, 'judgment',
       'Regionalgericht Oberland', '2020-06-01', '2020-07-01',
       '2020-12-01', debtor_id, pg_temp.qrr(title_id), 0
  FROM ad;
INSERT INTO ah_creditor (tenant_id, id, title_id, dossier_id, person_id,
	role)
SELECT (SELECT id FROM ah_t), ac.id, ad.title_id, ad.id, ac.person_id,
       'child'
  FROM ac JOIN ad ON ad.k = ac.dossier_k;
INSERT INTO ah_title_amount (tenant_id, creditor_id, valid_from, amount)
SELECT (SELECT id FROM ah_t), id, '2020-12-01', amount FROM ac;

-- :months months of schedule, ending with December 2029.
CREATE TEMP TABLE am AS
SELECT (date '2030-01-01' - make_interval(months => g))::date AS month
  FROM generate_series(1, :months) g;
INSERT INTO ah_due (tenant_id, creditor_id, dossier_id, month,
	title_amount, amount)
SELECT (SELECT id FROM ah_t), ac.id, ad.id, am.month, ac.amount, ac.amount
  FROM ac JOIN ad ON ad.k = ac.dossier_k CROSS JOIN am;

-- Approved advances for three children in five, at most the cap.
INSERT INTO ah_advance (tenant_id, dossier_id, creditor_id, valid_from,
	eligible, amount, cap, input, result, provenance, status,
	recheck_on, created_by, approved_by, approved_at)
SELECT (SELECT id FROM ah_t), ad.id, ac.id, (SELECT min(month) FROM am),
       true, least(ac.amount, 100800), 100800, '{}', '{}', '[]',
       'approved', '2030-06-01', 1, 2, now()
  FROM ac JOIN ad ON ad.k = ac.dossier_k
 WHERE ac.k % 5 < 3;

-- One approved run a month with the advances, booked.
CREATE TEMP TABLE ar AS
SELECT month, nextval('object_id_seq') AS id FROM am;
INSERT INTO payment_run (tenant_id, id, month, status, exec_date,
	created_by, approved_by, approved_at, msg_id, created_ts, debtor)
SELECT (SELECT id FROM ah_t), ar.id, ar.month, 'approved',
       ar.month + 24, 1, 2, now(), 'AH' || ar.id,
       to_char(ar.month, 'YYYY-MM-DD') || 'T08:00:00',
       '{"name": "Bench-Sozialdienst Alimente"}'
  FROM ar;
INSERT INTO payment_line (tenant_id, run_id, dossier_id, module, kind,
	source_id, for_month, amount, name, street, house_no, postcode, town,
	country, iban, ustrd, status, booked_on)
SELECT (SELECT id FROM ah_t), ar.id, v.dossier_id, 'alimente',
       'ah_advance', v.id, ar.month, v.amount, 'Andrea Muster',
       'Bahnhofstrasse', '1', '3600', 'Thun', 'CH', 'CH9300762011623852957',
       'Bevorschussung ' || to_char(ar.month, 'MM.YYYY'), 'booked',
       ar.month + 25
  FROM ah_advance v CROSS JOIN ar
 WHERE v.tenant_id = (SELECT id FROM ah_t);

-- The debtor pays the month's due in seven months of ten: the advanced
-- part to the community, the rest to the child.
CREATE TEMP TABLE ap AS
SELECT ad.id AS dossier_id, ad.title_id, am.month,
       nextval('object_id_seq') AS receipt_id,
       (SELECT sum(ac.amount) FROM ac WHERE ac.dossier_k = ad.k) AS amount
  FROM ad CROSS JOIN am
 WHERE (ad.k + extract(month FROM am.month)::int) % 10 < 7;
INSERT INTO ah_receipt (tenant_id, id, dossier_id, title_id, amount,
	received_on, source)
SELECT (SELECT id FROM ah_t), receipt_id, dossier_id, title_id, amount,
       month + 27, 'manual'
  FROM ap;
INSERT INTO ah_allocation (tenant_id, receipt_id, creditor_id, month,
	part, amount)
SELECT (SELECT id FROM ah_t), ap.receipt_id, ac.id, ap.month, x.part,
       x.amount
  FROM ap JOIN ad ON ad.id = ap.dossier_id
  JOIN ac ON ac.dossier_k = ad.k
  LEFT JOIN ah_advance v ON v.tenant_id = (SELECT id FROM ah_t) AND
	v.creditor_id = ac.id,
  LATERAL (VALUES ('subrogated', coalesce(v.amount, 0)),
	('current', ac.amount - coalesce(v.amount, 0))) AS x(part, amount)
 WHERE x.amount > 0;

-- The children's parts were passed on by the run of their month.
INSERT INTO payment_line (tenant_id, run_id, dossier_id, module, kind,
	source_id, for_month, amount, name, street, house_no, postcode, town,
	country, iban, ustrd, status, booked_on)
SELECT (SELECT id FROM ah_t), ar.id, ap.dossier_id, 'alimente', 'ah_passon',
       a.id, a.month, a.amount, 'Andrea Muster', 'Bahnhofstrasse', '1',
       '3600', 'Thun', 'CH', 'CH9300762011623852957',
       'Alimente ' || to_char(a.month, 'YYYY-MM'), 'booked', ar.month + 25
  FROM ah_allocation a
  JOIN ap ON ap.receipt_id = a.receipt_id
  JOIN ar ON ar.month = a.month
 WHERE a.tenant_id = (SELECT id FROM ah_t) AND a.part = 'current';

ANALYZE person, household, household_member, dossier, ah_title,
    ah_creditor, ah_title_amount, ah_due, ah_advance, payment_run,
    payment_line, ah_receipt, ah_allocation;

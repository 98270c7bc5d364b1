-- The canton's billing (core/billing/billing.c). Rows belong to the canton's
-- tenant; figures of social services are read under their own tenant.

-- name: bill_creditor_get
SELECT name, street, building, postcode, town, country, iban, row_version
  FROM billing_creditor WHERE tenant_id = kasus_tenant()

-- name: bill_creditor_put
INSERT INTO billing_creditor (tenant_id, name, street, building, postcode,
       town, country, iban)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id) DO UPDATE SET name = $1, street = $2, building = $3,
       postcode = $4, town = $5, country = $6, iban = $7,
       row_version = billing_creditor.row_version + 1
 WHERE billing_creditor.row_version = $8::bigint OR $8 IS NULL
RETURNING row_version

-- name: bill_address_get
-- A social service's address as it is now (locked for the change), and
-- its version; no row: no address yet (version 0).
SELECT name AS addr_name, street AS addr_street,
       building AS addr_building, postcode AS addr_postcode,
       town AS addr_town, country AS addr_country, row_version
  FROM billing_address WHERE subject_id = $1 FOR UPDATE

-- name: bill_address_insert
-- The first address of a social service; none if someone else was first.
INSERT INTO billing_address (tenant_id, subject_id, name, street, building,
       postcode, town, country)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, subject_id) DO NOTHING
RETURNING row_version

-- name: bill_address_update
-- Only over the version the change was made on ($8).
UPDATE billing_address SET name = $2, street = $3, building = $4,
       postcode = $5, town = $6, country = $7, row_version = row_version + 1
 WHERE subject_id = $1 AND row_version = $8::bigint
RETURNING row_version

-- name: bill_period_list
SELECT p.id, p.code, p.starts_on, p.ends_on,
       (SELECT coalesce(sum(amount), 0) FROM billing_cost c
         WHERE c.tenant_id = p.tenant_id AND c.period_id = p.id)
       AS costs_total,
       (SELECT count(*) FROM billing_run r
         WHERE r.tenant_id = p.tenant_id AND r.period_id = p.id) AS runs,
       p.row_version
  FROM billing_period p
 ORDER BY p.starts_on DESC, p.id DESC

-- name: bill_period_insert
INSERT INTO billing_period (tenant_id, code, starts_on, ends_on)
VALUES (kasus_tenant(), $1, $2::date, $3::date)
ON CONFLICT (tenant_id, code) DO NOTHING
RETURNING id

-- name: bill_period_get
SELECT id, code, starts_on, ends_on, row_version
  FROM billing_period WHERE id = $1

-- name: bill_period_by_code
SELECT id FROM billing_period WHERE code = $1

-- name: bill_period_touch
UPDATE billing_period SET row_version = row_version + 1 WHERE id = $1

-- name: bill_costs
SELECT id, phase, amount, description FROM billing_cost
 WHERE period_id = $1
 ORDER BY array_position(ARRAY['project', 'operation', 'development',
       'migration'], phase), id

-- name: bill_cost_insert
INSERT INTO billing_cost (tenant_id, period_id, phase, amount, description)
VALUES (kasus_tenant(), $1, $2, $3::bigint, $4)
RETURNING id

-- name: bill_cost_delete
DELETE FROM billing_cost WHERE period_id = $1 AND id = $2
RETURNING phase, amount, description

-- name: bill_population
SELECT bp.bfs, m.name, bp.subject_id, t.name AS tenant_name,
       bp.population
  FROM billing_population bp JOIN municipality m USING (bfs)
  JOIN tenant t ON t.id = bp.subject_id
 WHERE bp.period_id = $1
 ORDER BY bp.bfs

-- name: bill_population_put
INSERT INTO billing_population (tenant_id, period_id, bfs, subject_id,
       population)
VALUES (kasus_tenant(), $1, $2::integer, $3, $4::integer)
ON CONFLICT (tenant_id, period_id, bfs) DO UPDATE SET population = $4::integer

-- name: bill_population_set
UPDATE billing_population SET population = $3::integer
 WHERE period_id = $1 AND bfs = $2::integer
RETURNING bfs

-- name: bill_figures
SELECT f.subject_id, t.slug, t.name, t.language, f.dossiers, f.users,
       f.migrated_dossiers, a.name AS addr_name, a.street AS addr_street,
       a.building AS addr_building, a.postcode AS addr_postcode,
       a.town AS addr_town, a.country AS addr_country
  FROM billing_tenant_figures f JOIN tenant t ON t.id = f.subject_id
  LEFT JOIN billing_address a ON a.tenant_id = f.tenant_id
       AND a.subject_id = f.subject_id
 WHERE f.period_id = $1
 ORDER BY t.name, t.id

-- name: bill_figures_put
INSERT INTO billing_tenant_figures (tenant_id, period_id, subject_id,
       dossiers, users, migrated_dossiers)
VALUES (kasus_tenant(), $1, $2, $3::integer, $4::integer, $5::integer)
ON CONFLICT (tenant_id, period_id, subject_id) DO UPDATE SET
       dossiers = $3::integer, users = $4::integer,
       migrated_dossiers = $5::integer

-- name: bill_figures_set
UPDATE billing_tenant_figures SET dossiers = coalesce($3::integer, dossiers),
       users = coalesce($4::integer, users),
       migrated_dossiers = coalesce($5::integer, migrated_dossiers)
 WHERE period_id = $1 AND subject_id = $2
RETURNING subject_id

-- name: bill_social_services
SELECT id, slug, name, language FROM tenant
 WHERE kind = 'social_service' AND active ORDER BY id

-- Counted under a social service's own tenant (RLS): numbers only.
-- name: bill_count_users
SELECT count(*) AS n FROM app_user WHERE active

-- name: bill_count_dossiers
SELECT count(*) AS n FROM dossier
 WHERE opened_on <= $2::date AND (closed_on IS NULL OR closed_on >= $1::date)

-- name: bill_eligible
SELECT bfs, sum(amount)::bigint AS amount FROM kasus_eligible_costs($1::date, $2::date)
 GROUP BY bfs ORDER BY bfs

-- name: bill_run_insert
INSERT INTO billing_run (tenant_id, period_id, pack, input, output, total,
       created_by, parties)
VALUES (kasus_tenant(), $1, $2::jsonb, $3::jsonb, $4::jsonb, $5::bigint,
        $6::bigint, $7::jsonb)
RETURNING id

-- name: bill_run_get
SELECT r.id, r.period_id, p.code, p.starts_on, p.ends_on, r.pack, r.output,
       r.total, r.created_by, r.created_at, r.input, u.display_name,
       r.parties, r.issued_at, r.issued_by
  FROM billing_run r JOIN billing_period p ON p.tenant_id = r.tenant_id
       AND p.id = r.period_id
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.id = $1

-- name: bill_run_issue
UPDATE billing_run SET issued_at = now(), issued_by = $2
 WHERE id = $1 AND issued_at IS NULL
RETURNING id

-- The canton tenant of social service $1 (the billing rows are its own).
-- name: bill_canton_of
SELECT c.id FROM tenant t
  JOIN tenant c ON c.canton_id = t.canton_id AND c.kind = 'canton'
 WHERE t.id = $1

-- Issued runs with an invoice to social service $1, newest first, with
-- the amount owed and the run of the same period issued next, if any.
-- name: bill_invoices_of
SELECT r.id, p.code, p.starts_on, p.ends_on, r.issued_at,
       coalesce((SELECT sum((s->>'amount')::bigint)
                   FROM jsonb_array_elements(r.output->'shares') s
                  WHERE (s->>'tenant_id')::bigint = $1), 0) AS amount,
       (SELECT n.id FROM billing_run n
         WHERE n.tenant_id = r.tenant_id AND n.period_id = r.period_id
           AND n.issued_at > r.issued_at
         ORDER BY n.issued_at, n.id LIMIT 1) AS replaced_by,
       r.parties->'creditor'->>'iban' AS iban, r.pack->>'name' AS pack_name,
       r.pack->>'version' AS pack_version
  FROM billing_run r
  JOIN billing_period p ON p.tenant_id = r.tenant_id AND p.id = r.period_id
 WHERE r.issued_at IS NOT NULL
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(r.input->'tenants') t
                WHERE (t->>'id')::bigint = $1)
 ORDER BY r.issued_at DESC, r.id DESC

-- name: bill_runs_of
SELECT r.id, r.created_at, r.created_by, r.pack, r.total, u.display_name,
       r.issued_at
  FROM billing_run r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.period_id = $1 ORDER BY r.id DESC

-- name: bill_addresses
SELECT t.id, t.slug, t.name, t.language, a.name AS addr_name,
       a.street AS addr_street, a.building AS addr_building,
       a.postcode AS addr_postcode, a.town AS addr_town,
       a.country AS addr_country, coalesce(a.row_version, 0) AS row_version
  FROM tenant t LEFT JOIN billing_address a ON a.subject_id = t.id
 WHERE t.kind = 'social_service' AND t.active
 ORDER BY t.name, t.id

-- name: bill_is_social_service
SELECT id FROM tenant WHERE id = $1 AND kind = 'social_service'

-- Refreshing a period adds what is missing and keeps the canton's
-- corrections: existing rows stay as they are.
-- name: bill_population_add
INSERT INTO billing_population (tenant_id, period_id, bfs, subject_id,
       population)
VALUES (kasus_tenant(), $1, $2::integer, $3, $4::integer)
ON CONFLICT (tenant_id, period_id, bfs) DO NOTHING
RETURNING bfs

-- name: bill_figures_add
INSERT INTO billing_tenant_figures (tenant_id, period_id, subject_id,
       dossiers, users, migrated_dossiers)
VALUES (kasus_tenant(), $1, $2, $3::integer, $4::integer, $5::integer)
ON CONFLICT (tenant_id, period_id, subject_id) DO NOTHING
RETURNING subject_id

-- The casework routes in the core (issue 12): a dossier names the kind
-- its module declared (struct ks_dossier_kind); NULL, as for the dossiers
-- made before, is the module's main kind (the first it declares).
ALTER TABLE dossier ADD COLUMN kind text
    CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$');

-- A dossier as the casework routes show it (one read for the list and the
-- detail); the caller's row-level security applies (security_invoker).
CREATE VIEW dossier_overview WITH (security_invoker = true) AS
SELECT d.tenant_id, d.id, d.module, coalesce(d.kind, '') AS kind, d.state,
       d.household_id, d.applicant_id, p.last_name, p.first_name,
       p.language, d.municipality_bfs, m.name AS municipality,
       d.caseworker_id, u.display_name AS caseworker, d.team, d.opened_on,
       d.closed_on, d.closure_reason, d.version,
       (SELECT min(x.due_on) FROM deadline x
         WHERE x.tenant_id = d.tenant_id AND x.dossier_id = d.id
           AND x.done_on IS NULL) AS next_deadline,
       d.transferred_from, d.number
  FROM dossier d
  JOIN person p ON p.tenant_id = d.tenant_id AND p.id = d.applicant_id
  JOIN municipality m ON m.bfs = d.municipality_bfs
  LEFT JOIN app_user u ON u.tenant_id = d.tenant_id AND u.id = d.caseworker_id;
GRANT SELECT ON dossier_overview TO kasus_app;

-- A dossier's checklist (the items its kind declares: documents to
-- collect, steps to take), as one record with a version: two people with
-- the same checklist open cannot overwrite each other (If-Match). The
-- Sozialhilfe module's intake checklist moves here (its migration 0012).
CREATE TABLE checklist (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	version		bigint NOT NULL DEFAULT 1,
	updated_by	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, dossier_id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
CREATE TABLE checklist_item (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	code		text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
	received_on	date,
	note		text CHECK (length(note) <= 500),
	PRIMARY KEY (tenant_id, dossier_id, code),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES checklist
);
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['checklist', 'checklist_item'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant_isolation ON %I USING '
		    '(tenant_id = kasus_tenant()) WITH CHECK '
		    '(tenant_id = kasus_tenant())', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO '
		    'kasus_app', t);
	END LOOP;
END $$;

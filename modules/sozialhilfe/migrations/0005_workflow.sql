-- Sozialhilfe workflow: decisions can be revoked (one live decision per
-- budget), the intake checklist carries a version for If-Match.

-- A decision is draft, approved or revoked. Revoking keeps the record
-- and its document (who, when, why) and frees the budget for a new
-- decision; a draft that is dropped is revoked too.
ALTER TABLE sh_decision DROP CONSTRAINT sh_decision_status_check,
    ADD CONSTRAINT sh_decision_status_check CHECK (status IN ('draft',
	'approved', 'revoked')),
    ADD COLUMN revoked_by bigint,
    ADD COLUMN revoked_at timestamptz,
    ADD COLUMN revoke_reason text
	CHECK (length(revoke_reason) BETWEEN 1 AND 500);

-- Approved decisions do not change, except that they are revoked; a
-- revoked decision does not change at all.
CREATE OR REPLACE FUNCTION sh_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.status = 'revoked' OR (OLD.status = 'approved' AND
	    (NEW.status <> 'revoked' OR NEW.budget_id <> OLD.budget_id OR
	    NEW.dossier_id <> OLD.dossier_id OR NEW.language <> OLD.language OR
	    NEW.approved_by IS DISTINCT FROM OLD.approved_by OR
	    NEW.approved_at IS DISTINCT FROM OLD.approved_at OR
	    NEW.document_id IS DISTINCT FROM OLD.document_id)) THEN
		RAISE EXCEPTION 'approved records are immutable'
		    USING ERRCODE = '23514';
	END IF;
	RETURN NEW;
END $$;

-- Before this migration a budget could get several decisions. The most
-- recently approved one stays (else the newest draft); the others are
-- revoked by the system, saying why.
UPDATE sh_decision x SET status = 'revoked', revoked_at = now(),
       revoke_reason = 'another decision on the same budget stays in force '
       || '(one decision per budget, migration 0005)',
       version = x.version + 1
  FROM (SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id,
               budget_id ORDER BY status = 'approved' DESC,
               approved_at DESC NULLS LAST, id DESC) AS n
          FROM sh_decision WHERE status <> 'revoked') y
 WHERE y.tenant_id = x.tenant_id AND y.id = x.id AND y.n > 1;

ALTER TABLE sh_decision ADD CONSTRAINT sh_decision_revoked
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL));
CREATE UNIQUE INDEX sh_decision_one_per_budget ON sh_decision (tenant_id,
    budget_id) WHERE status <> 'revoked';

-- The intake checklist as one record with a version: two people with
-- the same checklist open cannot overwrite each other (If-Match).
CREATE TABLE sh_checklist (
	tenant_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	version		bigint NOT NULL DEFAULT 1,
	updated_by	bigint,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, dossier_id),
	FOREIGN KEY (tenant_id, dossier_id) REFERENCES dossier
);
INSERT INTO sh_checklist (tenant_id, dossier_id)
SELECT DISTINCT tenant_id, dossier_id FROM sh_checklist_item;

ALTER TABLE sh_checklist ENABLE ROW LEVEL SECURITY;
ALTER TABLE sh_checklist FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sh_checklist
    USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON sh_checklist TO kasus_app;

-- Advance decisions (ah_advance of 0001): who submitted, rejected or
-- ended one and when, the reason of a rejection, the pack's result in
-- French beside the German one (the letter goes out in the applicant's
-- language; the lines' explanations come from the pack in both), and
-- the reasons an advance ends with, the stored decision document. Four eyes: the approver is neither
-- the proposer (0001) nor the one who submitted it.

ALTER TABLE ah_advance
	ADD COLUMN submitted_by bigint,
	ADD COLUMN submitted_at timestamptz,
	ADD COLUMN rejected_by bigint,
	ADD COLUMN rejected_at timestamptz,
	ADD COLUMN reject_reason text CHECK (length(reject_reason)
	    BETWEEN 1 AND 500),
	ADD COLUMN ended_by bigint,
	ADD COLUMN ended_at timestamptz,
	ADD COLUMN result_fr jsonb,
	-- the decision as approved, stored as a document of the dossier
	-- (category decision) in the language it was issued in
	ADD COLUMN document_id bigint,
	ADD COLUMN language text CHECK (language IN ('de', 'fr')),
	ADD CONSTRAINT ah_advance_submitter CHECK (approved_by IS NULL OR
	    submitted_by IS NULL OR approved_by <> submitted_by),
	ADD CONSTRAINT ah_advance_end_reason CHECK (end_reason IS NULL OR
	    end_reason IN ('age_18', 'age_25', 'education_end', 'title_end',
	    'means', 'other')),
	ADD CONSTRAINT ah_advance_ended CHECK ((status = 'ended') =
	    (end_reason IS NOT NULL));

CREATE INDEX ah_advance_creditor ON ah_advance (tenant_id, creditor_id,
    valid_from);

-- An advance as the screens and the letter show it: the child's name
-- and birth date, the names of who proposed, submitted and approved it.
CREATE VIEW ah_advance_v WITH (security_invoker = true) AS
SELECT v.tenant_id, v.id, v.dossier_id, v.creditor_id, v.valid_from,
       v.valid_to, v.eligible, v.amount, v.cap, v.input, v.result,
       v.result_fr, v.provenance, v.status, v.recheck_on, v.end_reason,
       v.created_by, v.created_at, v.submitted_by, v.submitted_at,
       v.approved_by, v.approved_at, v.rejected_by, v.rejected_at,
       v.reject_reason, v.ended_by, v.ended_at, v.version, v.document_id,
       v.language, p.first_name,
       p.last_name, p.birth_date, u1.display_name AS created_by_name,
       u2.display_name AS submitted_by_name,
       u3.display_name AS approved_by_name
  FROM ah_advance v
  JOIN ah_creditor c ON c.tenant_id = v.tenant_id AND c.id = v.creditor_id
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  LEFT JOIN app_user u1 ON u1.tenant_id = v.tenant_id AND u1.id = v.created_by
  LEFT JOIN app_user u2 ON u2.tenant_id = v.tenant_id
       AND u2.id = v.submitted_by
  LEFT JOIN app_user u3 ON u3.tenant_id = v.tenant_id
       AND u3.id = v.approved_by;
GRANT SELECT ON ah_advance_v TO kasus_app;

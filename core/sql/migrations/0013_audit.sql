-- Reads of personal data without the chain's lock, seals that fold reads
-- and the change chain into a keyed chain, and what finds everything
-- recorded about one person or dossier.
--
-- Every record lists the persons, households, dossiers and documents it
-- names (refs; object ids come from one sequence, so they do not
-- collide): the object, the ids in its path, those in its answer. Whose
-- data that is (a dossier's household and members, a document's dossier)
-- is worked out when the log is read (audit_refs, audit_scope), so that
-- writing a record costs one row and no lookups. refs is an index for the
-- audit screen and the data-protection export; it is not part of any hash.

-- Whose data refs hold: the persons, households, dossiers and documents
-- of tenant t among ids, and everything a dossier or document leads to:
-- the dossier, its household, applicant and every member the household
-- ever had. Runs under the caller's row-level security as well; the
-- tenant is named so that the primary keys (tenant_id, id) serve every
-- lookup; plpgsql keeps the plan.
CREATE FUNCTION audit_refs(ids bigint[], t bigint) RETURNS bigint[]
    LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
	WITH i AS (SELECT DISTINCT x AS id FROM unnest(ids) x
		WHERE x IS NOT NULL),
	doc AS (SELECT x.id, x.dossier_id FROM document x
		WHERE x.tenant_id = t AND x.id IN (SELECT id FROM i)),
	d AS (SELECT d.id, d.household_id, d.applicant_id FROM dossier d
		WHERE d.tenant_id = t AND d.id IN (SELECT id FROM i
		UNION SELECT dossier_id FROM doc)),
	h AS (SELECT h.id FROM household h
		WHERE h.tenant_id = t AND h.id IN (SELECT id FROM i
		UNION SELECT household_id FROM d)),
	p AS (SELECT p.id FROM person p
		WHERE p.tenant_id = t AND p.id IN (SELECT id FROM i
		UNION SELECT applicant_id FROM d)
		UNION SELECT m.person_id FROM household_member m
		WHERE m.tenant_id = t AND m.household_id IN (SELECT id FROM h))
	SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
		SELECT id AS r FROM doc UNION SELECT id FROM d
		UNION SELECT id FROM h UNION SELECT id FROM p) s);
END $$;

-- What a record about person or dossier x names when it concerns them:
-- x; for a person the households they were ever part of, those
-- households' dossiers and their documents; for a dossier its household
-- and documents. The filters and the export look for records whose refs
-- overlap this set.
CREATE FUNCTION audit_scope(x bigint, t bigint) RETURNS bigint[]
    LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
	WITH hp AS (SELECT m.household_id AS id FROM household_member m
		WHERE m.tenant_id = t AND m.person_id = x),
	dx AS (SELECT d.id, d.household_id FROM dossier d
		WHERE d.tenant_id = t AND (d.id = x
		OR d.household_id IN (SELECT id FROM hp))),
	doc AS (SELECT y.id FROM document y
		WHERE y.tenant_id = t AND y.dossier_id IN (SELECT id FROM dx))
	SELECT array_agg(DISTINCT r) FROM (
		SELECT x AS r UNION SELECT id FROM hp
		UNION SELECT household_id FROM dx WHERE id = x
		UNION SELECT id FROM dx UNION SELECT id FROM doc) s);
END $$;

-- Changes: the chain of 0003 plus the objects they name.
ALTER TABLE audit_event ADD COLUMN refs bigint[];
UPDATE audit_event SET refs = ARRAY[object_id::bigint]
    WHERE object_type IN ('person', 'household', 'dossier', 'document')
    AND object_id ~ '^[0-9]{1,18}$';
CREATE INDEX audit_event_refs ON audit_event USING gin (refs);
CREATE INDEX audit_event_actor ON audit_event (tenant_id, actor_id, seq);

-- The append of 0003 with the objects the event names; the chain and its
-- canonical text are unchanged.
CREATE FUNCTION audit_append(p_actor bigint, p_request text, p_action text,
    p_otype text, p_oid text, p_before text, p_after text, p_detail jsonb,
    p_refs bigint[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	t bigint := kasus_tenant();
	s bigint;
	prev text;
	h text;
	ts timestamptz := date_trunc('milliseconds', clock_timestamp());
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'audit without tenant' USING ERRCODE = '42501';
	END IF;
	INSERT INTO audit_head (tenant_id, seq, hash)
	    VALUES (t, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
	SELECT hd.seq, hd.hash INTO s, prev FROM audit_head hd
	    WHERE hd.tenant_id = t FOR UPDATE;
	s := s + 1;
	h := encode(sha256(convert_to(audit_canonical(prev, t, s,
	    (extract(epoch FROM ts) * 1000000)::bigint, p_actor, p_action,
	    p_otype, p_oid, coalesce(p_before, ''), coalesce(p_after, ''),
	    p_detail), 'UTF8')), 'hex');
	INSERT INTO audit_event (tenant_id, seq, at, actor_id, request_id,
	    action, object_type, object_id, before_digest, after_digest,
	    detail, prev_hash, hash, refs)
	VALUES (t, s, ts, p_actor, p_request, p_action, p_otype, p_oid,
	    coalesce(p_before, ''), coalesce(p_after, ''), p_detail, prev, h,
	    p_refs);
	UPDATE audit_head SET seq = s, hash = h WHERE tenant_id = t;
	RETURN s;
END $$;

-- Reads of personal data: appended by every request without a lock and
-- committed (synchronously) before the answer leaves. xid orders them
-- for the seals: every read of a transaction older than the oldest one
-- still running is final, so a seal covers exactly the reads whose xid
-- lies between the previous seal's horizon and its own.
CREATE SEQUENCE audit_read_seq;
CREATE TABLE audit_read (
	tenant_id	bigint NOT NULL,	-- no FK: no lock on tenant
	id		bigint NOT NULL DEFAULT nextval('audit_read_seq'),
	xid		xid8 NOT NULL DEFAULT pg_current_xact_id(),
	at		timestamptz NOT NULL
			DEFAULT date_trunc('milliseconds', clock_timestamp()),
	actor_id	bigint,
	request_id	text,
	route		text NOT NULL,		-- "GET /api/v1/cases/{id}"
	action		text NOT NULL,
	object_type	text NOT NULL,
	object_id	text NOT NULL,
	refs		bigint[] NOT NULL DEFAULT '{}',
	detail		jsonb,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_read_xid ON audit_read (tenant_id, xid, id);
CREATE INDEX audit_read_refs ON audit_read USING gin (refs);

-- Seals: a keyed chain (HMAC-SHA256 with a key derived from the
-- deployment's master key, which the database never sees). Seal n names
-- the change chain's head at that moment and the digest of the reads of
-- its range; kasusd writes the newest seal of each tenant to a file the
-- database user cannot write (the anchor).
CREATE TABLE audit_seal (
	tenant_id	bigint NOT NULL,
	n		bigint NOT NULL,
	at		timestamptz NOT NULL,
	event_seq	bigint NOT NULL,
	event_hash	text NOT NULL,
	reads_from	xid8 NOT NULL,
	reads_to	xid8 NOT NULL,
	read_count	bigint NOT NULL,
	read_digest	text NOT NULL,
	prev_mac	text NOT NULL,
	mac		text NOT NULL,
	PRIMARY KEY (tenant_id, n)
);

ALTER TABLE audit_read ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_read FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_read USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
ALTER TABLE audit_seal ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_seal FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_seal USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());

GRANT SELECT, INSERT ON audit_read TO kasus_app;
GRANT USAGE ON SEQUENCE audit_read_seq TO kasus_app;
GRANT SELECT, INSERT ON audit_seal TO kasus_app;
GRANT EXECUTE ON FUNCTION audit_refs(bigint[], bigint) TO kasus_app;
GRANT EXECUTE ON FUNCTION audit_scope(bigint, bigint) TO kasus_app;
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, text,
    text, jsonb, bigint[]) TO kasus_app;

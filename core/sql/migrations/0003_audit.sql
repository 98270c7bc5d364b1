-- Append-only audit log with a per-tenant SHA-256 hash chain. The
-- application role may insert and read, never update or delete; the head
-- row serialises appends per tenant.

CREATE TABLE audit_head (
	tenant_id	bigint PRIMARY KEY REFERENCES tenant,
	seq		bigint NOT NULL,
	hash		text NOT NULL
);

CREATE TABLE audit_event (
	tenant_id	bigint NOT NULL REFERENCES tenant,
	seq		bigint NOT NULL,
	at		timestamptz NOT NULL,
	actor_id	bigint,
	request_id	text,
	action		text NOT NULL,
	object_type	text NOT NULL,
	object_id	text NOT NULL,
	before_digest	text NOT NULL DEFAULT '',
	after_digest	text NOT NULL DEFAULT '',
	detail		jsonb,
	prev_hash	text NOT NULL,
	hash		text NOT NULL,
	PRIMARY KEY (tenant_id, seq)
);

-- The canonical text of an event: every field as <bytes>:<text>| so no
-- field boundary can be moved without changing the hash. ks_audit_canonical
-- in core/audit.c builds the same text and must stay in step with it.
CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT octet_length(coalesce(v, '')) || ':' || coalesce(v, '') || '|' $$;

CREATE FUNCTION audit_canonical(prev text, t bigint, s bigint, at_us bigint,
    actor bigint, action text, otype text, oid text, bd text, ad text,
    detail jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT audit_field(prev) || audit_field(t::text) || audit_field(s::text) ||
	audit_field(at_us::text) || audit_field(actor::text) ||
	audit_field(action) || audit_field(otype) || audit_field(oid) ||
	audit_field(bd) || audit_field(ad) || audit_field(detail::text) $$;

CREATE FUNCTION audit_append(p_actor bigint, p_request text, p_action text,
    p_otype text, p_oid text, p_before text, p_after text, p_detail jsonb)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	t bigint := kasus_tenant();
	s bigint;
	prev text;
	ts timestamptz := date_trunc('milliseconds', clock_timestamp());
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'audit without tenant' USING ERRCODE = '42501';
	END IF;
	INSERT INTO audit_head (tenant_id, seq, hash)
	    VALUES (t, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
	SELECT h.seq, h.hash INTO s, prev FROM audit_head h
	    WHERE h.tenant_id = t FOR UPDATE;
	s := s + 1;
	INSERT INTO audit_event (tenant_id, seq, at, actor_id, request_id,
	    action, object_type, object_id, before_digest, after_digest,
	    detail, prev_hash, hash)
	VALUES (t, s, ts, p_actor, p_request, p_action, p_otype, p_oid,
	    coalesce(p_before, ''), coalesce(p_after, ''), p_detail, prev,
	    encode(sha256(convert_to(audit_canonical(prev, t, s,
	    (extract(epoch FROM ts) * 1000000)::bigint, p_actor, p_action,
	    p_otype, p_oid, coalesce(p_before, ''), coalesce(p_after, ''),
	    p_detail), 'UTF8')), 'hex'));
	UPDATE audit_head SET seq = s, hash = (SELECT e.hash FROM audit_event e
	    WHERE e.tenant_id = t AND e.seq = s) WHERE tenant_id = t;
	RETURN s;
END $$;

ALTER TABLE audit_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_head FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_head USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());
ALTER TABLE audit_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_event FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_event USING (tenant_id = kasus_tenant())
    WITH CHECK (tenant_id = kasus_tenant());

GRANT SELECT, INSERT, UPDATE ON audit_head TO kasus_app;
GRANT SELECT, INSERT ON audit_event TO kasus_app;
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, text,
    text, jsonb) TO kasus_app;

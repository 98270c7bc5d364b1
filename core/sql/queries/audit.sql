-- The audit log (core/audit/audit.c, core/audit/audit_seal.c).

-- name: audit_append
SELECT audit_append($1::bigint, $2, $3, $4, $5, $6, $7, $8::jsonb,
       $9::bigint[])

-- name: audit_read_insert
-- Reads of one tenant, from one request or from many (the writer).
INSERT INTO audit_read (tenant_id, actor_id, request_id, route, action,
       object_type, object_id, refs, detail)
SELECT kasus_tenant(), r.actor_id, r.request_id, r.route, r.action,
       r.object_type, r.object_id, coalesce(r.refs, '{}'), r.detail
  FROM jsonb_to_recordset($1::jsonb) AS r(actor_id bigint, request_id text,
       route text, action text, object_type text, object_id text,
       refs bigint[], detail jsonb)

-- name: audit_list
-- Changes, newest first: $3 a person, $4 a dossier the events concern,
-- $5 the actor, $6/$7 the period (dates, $7 inclusive); with the names of
-- the persons whose data each one concerns.
SELECT e.seq, e.at, e.actor_id, u.display_name, e.request_id, e.action,
       e.object_type, e.object_id, e.detail,
       audit_persons(e.refs, e.tenant_id) AS persons
  FROM audit_event e
  LEFT JOIN app_user u ON u.tenant_id = e.tenant_id AND u.id = e.actor_id
 WHERE e.seq < $1
   AND ($3::bigint IS NULL
        OR e.refs && (SELECT audit_scope($3::bigint, kasus_tenant())))
   AND ($4::bigint IS NULL
        OR e.refs && (SELECT audit_scope($4::bigint, kasus_tenant())))
   AND ($5::bigint IS NULL OR e.actor_id = $5::bigint)
   AND ($6::date IS NULL OR e.at >= $6::date)
   AND ($7::date IS NULL OR e.at < $7::date + 1)
 ORDER BY e.seq DESC LIMIT $2

-- name: audit_reads_list
SELECT r.id, r.at, r.actor_id, u.display_name, r.request_id, r.action,
       r.object_type, r.object_id, r.detail, r.route,
       audit_persons(r.refs, r.tenant_id) AS persons
  FROM audit_read r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.actor_id
 WHERE r.id < $1
   AND ($3::bigint IS NULL
        OR r.refs && (SELECT audit_scope($3::bigint, kasus_tenant())))
   AND ($4::bigint IS NULL
        OR r.refs && (SELECT audit_scope($4::bigint, kasus_tenant())))
   AND ($5::bigint IS NULL OR r.actor_id = $5::bigint)
   AND ($6::date IS NULL OR r.at >= $6::date)
   AND ($7::date IS NULL OR r.at < $7::date + 1)
 ORDER BY r.id DESC LIMIT $2

-- name: audit_person
SELECT id, last_name, first_name, birth_date FROM person WHERE id = $1

-- name: audit_chain
SELECT seq, prev_hash, hash, tenant_id,
       (extract(epoch FROM at) * 1000000)::bigint AS at_us, actor_id, action,
       object_type, object_id, before_digest, after_digest,
       detail::text AS detail
  FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2

-- name: audit_head
SELECT seq, hash FROM audit_head

-- name: audit_seal_state
-- Where the seals stand and what a new seal would cover: reads of
-- transactions older than the oldest still running, and the change
-- chain's head now. One statement, so an idle tenant costs one query.
-- Both bounds of the reads looked for are plain values (the lower one a
-- scalar subquery, not coalesce() over the join) so that the index on
-- (tenant_id, xid, id) takes both: with the join's column the lower bound
-- was a filter and every read since the tenant's first was scanned, every
-- seal interval (112 ms for 190,000 reads; issue 13).
WITH c AS (SELECT date_trunc('milliseconds', clock_timestamp()) AS t,
                  pg_snapshot_xmin(pg_current_snapshot()) AS x),
     s AS (SELECT n, mac, reads_to, event_seq, event_hash FROM audit_seal
            ORDER BY n DESC LIMIT 1)
SELECT c.x::text AS horizon,
       coalesce((SELECT seq FROM audit_head), 0) AS head_seq,
       coalesce((SELECT hash FROM audit_head), repeat('0', 64)) AS head_hash,
       c.t AS at, (extract(epoch FROM c.t) * 1000000)::bigint AS at_us,
       s.n, s.mac, s.reads_to::text AS reads_to, s.event_seq, s.event_hash,
       EXISTS (SELECT 1 FROM audit_read r
                WHERE r.xid >= (SELECT coalesce(max(reads_to), '0'::xid8)
                                  FROM s)
                  AND r.xid < (SELECT x FROM c)) AS reads_new
  FROM c LEFT JOIN s ON true

-- name: audit_reads_page
-- Reads in seal order (transaction id, id) from the cursor ($3, $4) up to
-- $2, along the (tenant_id, xid, id) index (seals of read_order 2). The
-- index scan starts at the cursor, not at $1: the first page's cursor is
-- ($1, the least bigint).
SELECT id, xid::text AS xid, tenant_id,
       (extract(epoch FROM at) * 1000000)::bigint AS at_us, actor_id,
       request_id, route, action, object_type, object_id, refs::text AS refs,
       detail::text AS detail
  FROM audit_read
 WHERE xid >= $1::xid8 AND xid < $2::xid8
   AND (xid, id) > ($3::xid8, $4::bigint)
 ORDER BY audit_read.xid, audit_read.id LIMIT $5

-- name: audit_reads_page_text
-- The order of the seals made before 0038 (read_order 1): the
-- transaction id as text. Only verify uses it, for those seals.
SELECT id, xid::text AS xid, tenant_id,
       (extract(epoch FROM at) * 1000000)::bigint AS at_us, actor_id,
       request_id, route, action, object_type, object_id, refs::text AS refs,
       detail::text AS detail
  FROM audit_read
 WHERE xid >= $1::xid8 AND xid < $2::xid8
   AND (xid, id) > ($3::xid8, $4::bigint)
 ORDER BY audit_read.xid::text, audit_read.id LIMIT $5

-- name: audit_seal_insert
INSERT INTO audit_seal (tenant_id, n, at, event_seq, event_hash, reads_from,
       reads_to, read_count, read_digest, prev_mac, mac)
VALUES (kasus_tenant(), $1, $2::timestamptz, $3, $4, $5::xid8, $6::xid8, $7,
       $8, $9, $10)

-- name: audit_seals
SELECT n, (extract(epoch FROM at) * 1000000)::bigint AS at_us, event_seq,
       event_hash, reads_from::text AS reads_from, reads_to::text AS reads_to,
       read_count, read_digest, prev_mac, mac, at, read_order,
       (SELECT e.hash FROM audit_event e
         WHERE e.tenant_id = s.tenant_id AND e.seq = s.event_seq)
       AS chain_hash
  FROM audit_seal s WHERE n > $1 ORDER BY n LIMIT $2

-- name: audit_reads_pending
SELECT count(*) AS n, min(at) AS oldest FROM audit_read
 WHERE xid >= $1::xid8

-- name: audit_tenants
SELECT id FROM tenant ORDER BY id

-- name: audit_read_refs_merge
-- The refs index's pending list merged by the sealer (0037).
SELECT audit_read_refs_merge() AS pages

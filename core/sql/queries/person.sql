-- Persons, households and the tenants' data keys (core/casework/person.c,
-- core/lib/datakey.c). Every statement names tenant_id = kasus_tenant() as
-- well, although row-level security adds it anyway: it is the leading
-- column of every index here.
--
-- A person row, in this column order everywhere:
--   0 id, 1 last_name, 2 first_name, 3 birth_date, 4 sex, 5 ahv_enc,
--   6 nationality, 7 permit, 8 street, 9 house_no, 10 postcode, 11 town,
--   12 country, 13 phone, 14 email, 15 language, 16 iban, 17 version,
--   18 created_at, 19 ahv_hash, 20 civil_status

-- name: tenant_key_get
SELECT wrapped_key, hash_key FROM tenant_key
 WHERE tenant_id = kasus_tenant()

-- name: tenant_key_insert
INSERT INTO tenant_key (tenant_id, wrapped_key, hash_key)
VALUES (kasus_tenant(), $1, $2)
ON CONFLICT (tenant_id) DO NOTHING
RETURNING tenant_id

-- name: person_insert
INSERT INTO person (tenant_id, last_name, first_name, birth_date, sex,
       ahv_enc, ahv_hash, nationality, permit, street, house_no, postcode,
       town, country, phone, email, language, iban, civil_status)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
       coalesce($13, 'CH'), $14, $15, coalesce($16, 'de'), $17, $18)
RETURNING id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash, civil_status

-- name: person_get
SELECT id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash, civil_status
  FROM person WHERE tenant_id = kasus_tenant() AND id = $1

-- name: person_lock
SELECT id FROM person WHERE tenant_id = kasus_tenant() AND id = $1
   FOR UPDATE

-- name: person_update
UPDATE person SET last_name = $2, first_name = $3, birth_date = $4,
       sex = $5, ahv_enc = $6, ahv_hash = $7, nationality = $8, permit = $9,
       street = $10, house_no = $11, postcode = $12, town = $13,
       country = $14, phone = $15, email = $16, language = $17, iban = $18,
       civil_status = $19, version = version + 1
 WHERE tenant_id = kasus_tenant() AND id = $1 AND version = $20
RETURNING id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash, civil_status

-- The same AHV number (keyed hash), other than person $2.
-- name: person_by_ahv
SELECT id FROM person
 WHERE tenant_id = kasus_tenant() AND ahv_hash = $1 AND id <> $2

-- Likely duplicates: born the same day, names alike (trigram similarity
-- of the name keys "last first" above 0.6, so Müller and Mueller are
-- alike). Persons whose AHV number is known are left out when the new
-- person has one too ($4): equal numbers were caught before, different
-- ones mean different people. $5 are persons registered earlier in the
-- same request (the other members of a family being registered).
-- name: person_similar
SELECT id, last_name, first_name, birth_date FROM person
 WHERE tenant_id = kasus_tenant() AND birth_date = $1
   AND ($4::text IS NULL OR ahv_hash IS NULL)
   AND NOT (id = ANY ($5::bigint[]))
   AND similarity(last_norm || ' ' || first_norm,
                  kasus_name_key($2) || ' ' || kasus_name_key($3)) > 0.6
 ORDER BY id LIMIT 10

-- Search by name prefix in name order, in any spelling: last_norm and
-- first_norm are the name keys (0014); ~>=~ and ~<~ are leakproof, so
-- under row-level security they still bound the index scans. $1 and $2
-- are two prefixes: a last name and a first name in either order, so
-- one word finds last or first names, and "Meier Anna" and "Anna Meier"
-- find the same person. Each order is one range scan of its own index
-- (person_norm_last, person_norm_first) over the first prefix; the
-- second is a (leakproof) starts_with, so that an empty one never makes
-- the other index look bounded. The upper bound is the prefix followed
-- by the highest code point. $4 is the id of the last row seen
-- (0: from the start); the rows after it follow in (last_norm,
-- first_norm, id) order. $6: with each person's dossiers (0034: inlined,
-- planned with the statement, no call per hit).
-- name: person_search
WITH c AS (
    SELECT coalesce((SELECT last_norm FROM person
                      WHERE tenant_id = kasus_tenant() AND id = $4), '') AS lk,
           coalesce((SELECT first_norm FROM person
                      WHERE tenant_id = kasus_tenant() AND id = $4), '') AS fk),
h AS (
   (SELECT p.id, p.last_norm, p.first_norm FROM person p
     WHERE p.tenant_id = kasus_tenant()
       AND p.last_norm ~>=~ kasus_name_key($1)
       AND p.last_norm ~<~ (kasus_name_key($1) || chr(1114111))
       AND starts_with(p.first_norm, kasus_name_key($2))
       AND p.last_norm ~>=~ (SELECT lk FROM c)
       AND (p.last_norm ~>~ (SELECT lk FROM c) OR p.first_norm ~>~ (SELECT fk FROM c)
            OR (p.first_norm = (SELECT fk FROM c) AND p.id > $4))
       AND ($3::date IS NULL OR p.birth_date = $3::date)
     ORDER BY p.last_norm USING ~<~, p.first_norm USING ~<~, p.id LIMIT $5)
   UNION
   (SELECT p.id, p.last_norm, p.first_norm FROM person p
     WHERE p.tenant_id = kasus_tenant() AND $1 <> ''
       AND p.first_norm ~>=~ kasus_name_key($1)
       AND p.first_norm ~<~ (kasus_name_key($1) || chr(1114111))
       AND starts_with(p.last_norm, kasus_name_key($2))
       AND p.last_norm ~>=~ (SELECT lk FROM c)
       AND (p.last_norm ~>~ (SELECT lk FROM c) OR p.first_norm ~>~ (SELECT fk FROM c)
            OR (p.first_norm = (SELECT fk FROM c) AND p.id > $4))
       AND ($3::date IS NULL OR p.birth_date = $3::date)
     ORDER BY p.last_norm USING ~<~, p.first_norm USING ~<~, p.id LIMIT $5))
SELECT p.id, p.last_name, p.first_name, p.birth_date, p.sex,
       p.ahv_hash IS NOT NULL AS has_ahv, p.postcode, p.town, p.version,
       ds.dossiers
  FROM h JOIN person p ON p.tenant_id = kasus_tenant() AND p.id = h.id
  LEFT JOIN LATERAL (SELECT dossiers FROM person_dossier_rows(p.id)
                      WHERE $6::boolean) ds ON true
 ORDER BY h.last_norm USING ~<~, h.first_norm USING ~<~, h.id
 LIMIT $5

-- name: person_search_ahv
SELECT p.id, p.last_name, p.first_name, p.birth_date, p.sex,
       p.ahv_hash IS NOT NULL AS has_ahv, p.postcode, p.town, p.version,
       ds.dossiers
  FROM person p
  LEFT JOIN LATERAL (SELECT dossiers FROM person_dossier_rows(p.id)
                      WHERE $5::boolean) ds ON true
 WHERE p.tenant_id = kasus_tenant() AND p.ahv_hash = $1
   AND ($2::date IS NULL OR p.birth_date = $2::date) AND p.id > $3
 ORDER BY p.id LIMIT $4

-- name: person_dossier_list
SELECT person_dossiers($1) AS dossiers

-- Addresses over time (0014): each with the day the next one starts.
-- name: address_list
SELECT valid_from, lead(valid_from) OVER w AS valid_to, street, house_no,
       postcode, town, country, recorded_at
  FROM person_address
 WHERE tenant_id = kasus_tenant() AND person_id = $1
WINDOW w AS (ORDER BY valid_from NULLS FIRST)
 ORDER BY valid_from DESC NULLS LAST

-- The address of person $1 in force on day $2, in address_list's
-- columns.
-- name: address_on
SELECT a.valid_from,
       (SELECT min(b.valid_from) FROM person_address b
         WHERE b.tenant_id = kasus_tenant() AND b.person_id = $1
           AND b.valid_from > $2::date) AS valid_to,
       a.street, a.house_no, a.postcode, a.town, a.country, a.recorded_at
  FROM person_address a
 WHERE a.tenant_id = kasus_tenant() AND a.person_id = $1
   AND (a.valid_from IS NULL OR a.valid_from <= $2::date)
 ORDER BY a.valid_from DESC NULLS LAST LIMIT 1

-- A move: the address from day $2 (NULL: the first one), replacing one
-- recorded for the same day.
-- name: address_put
INSERT INTO person_address (tenant_id, person_id, valid_from, street,
       house_no, postcode, town, country)
VALUES (kasus_tenant(), $1, $2::date, $3, $4, $5, $6, coalesce($7, 'CH'))
ON CONFLICT (tenant_id, person_id, valid_from) DO UPDATE
   SET street = EXCLUDED.street, house_no = EXCLUDED.house_no,
       postcode = EXCLUDED.postcode, town = EXCLUDED.town,
       country = EXCLUDED.country, recorded_at = now()
RETURNING id

-- A correction of the address in force on day $2.
-- name: address_correct
UPDATE person_address SET street = $3, house_no = $4, postcode = $5,
       town = $6, country = coalesce($7, 'CH'), recorded_at = now()
 WHERE tenant_id = kasus_tenant() AND id = (
       SELECT id FROM person_address
        WHERE tenant_id = kasus_tenant() AND person_id = $1
          AND (valid_from IS NULL OR valid_from <= $2::date)
        ORDER BY valid_from DESC NULLS LAST LIMIT 1)
RETURNING id

-- name: person_households
SELECT m.id, m.household_id, h.name, m.role, m.valid_from, m.valid_to
  FROM household_member m
  JOIN household h ON h.tenant_id = m.tenant_id AND h.id = m.household_id
 WHERE m.tenant_id = kasus_tenant() AND m.person_id = $1
 ORDER BY m.valid_from, m.id

-- name: household_insert
INSERT INTO household (tenant_id, name, flat_extra_persons)
VALUES (kasus_tenant(), $1, coalesce($2::integer, 0))
RETURNING id, name, flat_extra_persons, version, created_at

-- name: household_get
SELECT id, name, flat_extra_persons, version, created_at FROM household
 WHERE tenant_id = kasus_tenant() AND id = $1

-- name: household_lock
SELECT id, name, flat_extra_persons, version, created_at FROM household
 WHERE tenant_id = kasus_tenant() AND id = $1 FOR UPDATE

-- name: household_bump
UPDATE household SET version = version + 1
 WHERE tenant_id = kasus_tenant() AND id = $1
RETURNING id, name, flat_extra_persons, version, created_at

-- Members with their periods; $2 (a date or NULL) keeps those who were
-- members on that day (valid_to is exclusive).
-- name: household_members
SELECT m.id, m.person_id, p.last_name, p.first_name, p.birth_date, m.role,
       m.valid_from, m.valid_to
  FROM household_member m
  JOIN person p ON p.tenant_id = m.tenant_id AND p.id = m.person_id
 WHERE m.tenant_id = kasus_tenant() AND m.household_id = $1
   AND ($2::date IS NULL OR (m.valid_from <= $2::date
        AND (m.valid_to IS NULL OR m.valid_to > $2::date)))
 ORDER BY m.valid_from, m.id

-- name: member_insert
INSERT INTO household_member (tenant_id, household_id, person_id, role,
       valid_from, valid_to)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5)
RETURNING id

-- name: member_get
SELECT id, person_id, role, valid_from, valid_to FROM household_member
 WHERE tenant_id = kasus_tenant() AND household_id = $1 AND id = $2

-- name: member_set_end
UPDATE household_member SET valid_to = $3
 WHERE tenant_id = kasus_tenant() AND household_id = $1 AND id = $2
RETURNING id

-- Another membership of person $1 in any household overlapping
-- [$2, $3) (NULL $3: open-ended), other than member $4.
-- name: member_overlap_person
SELECT m.id, m.household_id, m.valid_from, m.valid_to, h.name
  FROM household_member m
  JOIN household h ON h.tenant_id = m.tenant_id AND h.id = m.household_id
 WHERE m.tenant_id = kasus_tenant() AND m.person_id = $1 AND m.id <> $4
   AND daterange(m.valid_from, m.valid_to) && daterange($2::date, $3::date)
 ORDER BY m.valid_from LIMIT 1

-- Another member of household $1 with role $2 overlapping [$3, $4),
-- other than member $5.
-- name: member_overlap_role
SELECT id, person_id, valid_from, valid_to FROM household_member
 WHERE tenant_id = kasus_tenant() AND household_id = $1 AND role = $2
   AND id <> $5
   AND daterange(valid_from, valid_to) && daterange($3::date, $4::date)
 ORDER BY valid_from LIMIT 1

-- Persons, households and the tenants' data keys (core/person.c,
-- core/datakey.c). Every statement names tenant_id = kasus_tenant() as
-- well, although row-level security adds it anyway: it is the leading
-- column of every index here.
--
-- A person row, in this column order everywhere:
--   0 id, 1 last_name, 2 first_name, 3 birth_date, 4 sex, 5 ahv_enc,
--   6 nationality, 7 permit, 8 street, 9 house_no, 10 postcode, 11 town,
--   12 country, 13 phone, 14 email, 15 language, 16 iban, 17 version,
--   18 created_at, 19 ahv_hash

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
       town, country, phone, email, language, iban)
VALUES (kasus_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
       coalesce($13, 'CH'), $14, $15, coalesce($16, 'de'), $17)
RETURNING id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash

-- name: person_get
SELECT id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash
  FROM person WHERE tenant_id = kasus_tenant() AND id = $1

-- name: person_lock
SELECT id FROM person WHERE tenant_id = kasus_tenant() AND id = $1
   FOR UPDATE

-- name: person_update
UPDATE person SET last_name = $2, first_name = $3, birth_date = $4,
       sex = $5, ahv_enc = $6, ahv_hash = $7, nationality = $8, permit = $9,
       street = $10, house_no = $11, postcode = $12, town = $13,
       country = $14, phone = $15, email = $16, language = $17, iban = $18,
       version = version + 1
 WHERE tenant_id = kasus_tenant() AND id = $1 AND version = $19
RETURNING id, last_name, first_name, birth_date, sex, ahv_enc, nationality,
       permit, street, house_no, postcode, town, country, phone, email,
       language, iban, version, created_at, ahv_hash

-- The same AHV number (keyed hash), other than person $2.
-- name: person_by_ahv
SELECT id FROM person
 WHERE tenant_id = kasus_tenant() AND ahv_hash = $1 AND id <> $2

-- Likely duplicates: born the same day, names alike (trigram similarity
-- of "last first" above 0.6). Persons whose AHV number is known are left
-- out when the new person has one too ($4): equal numbers were caught
-- before, different ones mean different people.
-- name: person_similar
SELECT id, last_name, first_name, birth_date FROM person
 WHERE tenant_id = kasus_tenant() AND birth_date = $1
   AND ($4::text IS NULL OR ahv_hash IS NULL)
   AND similarity(lower(last_name || ' ' || first_name),
                  lower($2 || ' ' || $3)) > 0.6
 ORDER BY id LIMIT 10

-- Search by name prefix in name order: last_key/first_key are the
-- lowered names (0006); ~>=~ and ~<~ are leakproof, so under row-level
-- security they still bound the scan of person_key_prefix. The upper
-- bound is the prefix followed by the highest code point. $4 is the id
-- of the last row seen (0: from the start); the rows after it follow
-- in (last_key, first_key, id) order.
-- name: person_search
WITH c AS (
    SELECT coalesce((SELECT last_key FROM person
                      WHERE tenant_id = kasus_tenant() AND id = $4), '') AS lk,
           coalesce((SELECT first_key FROM person
                      WHERE tenant_id = kasus_tenant() AND id = $4), '') AS fk)
SELECT p.id, p.last_name, p.first_name, p.birth_date, p.sex,
       p.ahv_hash IS NOT NULL, p.postcode, p.town, p.version
  FROM person p, c
 WHERE p.tenant_id = kasus_tenant()
   AND p.last_key ~>=~ lower($1)
   AND p.last_key ~<~ (lower($1) || chr(1114111))
   AND p.first_key ~>=~ lower($2)
   AND p.first_key ~<~ (lower($2) || chr(1114111))
   AND p.last_key ~>=~ c.lk
   AND (p.last_key ~>~ c.lk OR p.first_key ~>~ c.fk
        OR (p.first_key = c.fk AND p.id > $4))
   AND ($3::date IS NULL OR p.birth_date = $3::date)
 ORDER BY p.last_key USING ~<~, p.first_key USING ~<~, p.id
 LIMIT $5

-- name: person_search_ahv
SELECT id, last_name, first_name, birth_date, sex, ahv_hash IS NOT NULL,
       postcode, town, version
  FROM person
 WHERE tenant_id = kasus_tenant() AND ahv_hash = $1
   AND ($2::date IS NULL OR birth_date = $2::date) AND id > $3
 ORDER BY id LIMIT $4

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
SELECT id, household_id, valid_from, valid_to FROM household_member
 WHERE tenant_id = kasus_tenant() AND person_id = $1 AND id <> $4
   AND daterange(valid_from, valid_to) && daterange($2::date, $3::date)
 ORDER BY valid_from LIMIT 1

-- Another member of household $1 with role $2 overlapping [$3, $4),
-- other than member $5.
-- name: member_overlap_role
SELECT id, person_id, valid_from, valid_to FROM household_member
 WHERE tenant_id = kasus_tenant() AND household_id = $1 AND role = $2
   AND id <> $5
   AND daterange(valid_from, valid_to) && daterange($3::date, $4::date)
 ORDER BY valid_from LIMIT 1

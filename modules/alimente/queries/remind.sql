-- Statements of ah_remind.c (reminders to the debtor, InkHV art. 12).

-- What the debtor of dossier $1 owes per creditor and month up to the
-- month of $2 (maintenance is paid in advance: the month is due on its
-- first day), oldest first.
-- name: ah_remind_outstanding
SELECT m.creditor_id, p.first_name, p.last_name,
       to_char(m.month, 'YYYY-MM') AS month, m.outstanding
  FROM ah_month_v m
  JOIN ah_creditor c ON c.tenant_id = m.tenant_id AND c.id = m.creditor_id
  JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
 WHERE m.dossier_id = $1
   AND m.month <= date_trunc('month', $2::date)::date
   AND m.outstanding > 0
 ORDER BY m.month, m.creditor_id
 LIMIT 600

-- Who writes to whom: the service (its account, QR-IBAN), the debtor of
-- dossier $1's title with his reference and language, the number.
-- name: ah_remind_parties
SELECT tn.name AS sender, coalesce(d.number, d.id::text) AS number,
       t.debtor_reference, p.first_name, p.last_name, p.street,
       p.house_no, p.postcode, p.town, p.country, p.language,
       a.name AS acc_name, a.iban AS acc_iban, a.qr_iban AS acc_qr_iban,
       a.street AS acc_street, a.house_no AS acc_house_no,
       a.postcode AS acc_postcode, a.town AS acc_town,
       a.country AS acc_country
  FROM dossier d
  JOIN tenant tn ON tn.id = d.tenant_id
  JOIN ah_title t ON t.tenant_id = d.tenant_id AND t.dossier_id = d.id
  LEFT JOIN person p ON p.tenant_id = t.tenant_id AND p.id = t.debtor_id
  LEFT JOIN payment_account a ON a.tenant_id = d.tenant_id
 WHERE d.id = $1

-- The last reminder of dossier $1 and whether the debtor paid since it
-- went out (a payment starts the reminders again at level 1).
-- name: ah_remind_last
SELECT r.id, r.level, to_char(r.pay_by, 'YYYY-MM-DD') AS pay_by,
       EXISTS (SELECT 1 FROM ah_receipt x
                WHERE x.tenant_id = r.tenant_id
                  AND x.dossier_id = r.dossier_id
                  AND x.created_at > r.created_at) AS paid_since
  FROM ah_reminder r
 WHERE r.dossier_id = $1
 ORDER BY r.id DESC
 LIMIT 1

-- $1 dossier, $2 level, $3 issued on, $4 days to pay, $5 amount, $6 items,
-- $7 language, $8 provenance, $9 user.
-- name: ah_remind_insert
INSERT INTO ah_reminder (tenant_id, dossier_id, level, issued_on, pay_by,
       amount, items, language, provenance, created_by)
VALUES (kasus_tenant(), $1, $2::integer, $3::date, $3::date + $4::integer,
        $5::bigint, $6::jsonb, $7, $8::jsonb, $9::bigint)
RETURNING id, to_char(pay_by, 'YYYY-MM-DD') AS pay_by

-- The letter as a document of dossier $1 ($2 title, $3 size, $4 sha256,
-- $5 the user).
-- name: ah_remind_document
INSERT INTO document (tenant_id, dossier_id, category, title, mime, size,
       sha256, uploaded_by)
VALUES (kasus_tenant(), $1, 'ah_reminder', $2, 'application/pdf', $3, $4,
        $5)
RETURNING id

-- The journal entry of the letter: dossier $1, text $2, author $3, his
-- role group $4.
-- name: ah_remind_journal
INSERT INTO journal_entry (tenant_id, dossier_id, category, text,
       author_id, protected, role_group)
VALUES (kasus_tenant(), $1, 'letter', $2, $3, false, $4)
RETURNING id

-- name: ah_remind_set
UPDATE ah_reminder SET document_id = $2, journal_id = $3
 WHERE id = $1

-- Reminders of dossier $1, newest first (below id $2, $3 of them).
-- name: ah_remind_list
SELECT r.id, r.dossier_id, r.level, to_char(r.issued_on, 'YYYY-MM-DD')
       AS issued_on, to_char(r.pay_by, 'YYYY-MM-DD') AS pay_by, r.amount,
       r.items::text AS items, r.language, r.document_id, r.journal_id,
       r.provenance::text AS provenance, r.created_by,
       u.display_name AS created_by_name, r.created_at
  FROM ah_reminder r
  LEFT JOIN app_user u ON u.tenant_id = r.tenant_id AND u.id = r.created_by
 WHERE r.dossier_id = $1
   AND ($2::bigint = 0 OR r.id < $2)
 ORDER BY r.id DESC LIMIT $3

-- Reminders sent in dossier $1 (for the enforcement request).
-- name: ah_remind_sent
SELECT count(*) AS n, to_char(max(issued_on), 'YYYY-MM-DD') AS last
  FROM ah_reminder WHERE dossier_id = $1

-- What the module puts on paper: the sender, the client, stored letters.

-- The social service as sender: its name and the postal address of the
-- account it pays from (the only address the module records), if any.
-- name: letter_sender
SELECT t.name, coalesce(a.street, '') AS street,
       coalesce(a.house_no, '') AS house_no,
       coalesce(a.postcode, '') AS postcode, coalesce(a.town, '') AS town
  FROM tenant t LEFT JOIN payment_account a ON a.tenant_id = t.id
 WHERE t.id = kasus_tenant()

-- name: letter_client
SELECT last_name, first_name, coalesce(street, '') AS street,
       coalesce(house_no, '') AS house_no,
       coalesce(postcode, '') AS postcode, coalesce(town, '') AS town,
       language, birth_date
  FROM person WHERE id = $1

-- name: letter_document
INSERT INTO document (tenant_id, dossier_id, category, title, mime, size,
       sha256, uploaded_by)
VALUES (kasus_tenant(), $1, $2, $3, 'application/pdf', $4, $5, $6)
RETURNING id, uploaded_at

-- Persons: names found in any spelling, civil status, addresses over
-- time, and the dossiers a person belongs to.

-- The key a name is searched and compared by: lower case, accents and
-- other diacritics dropped, ß as ss, and the German transliterations
-- ae, oe, ue folded onto their vowel, so that Müller, Mueller and Muller
-- (and Zoé, Zoe) give the same key. Both the stored names and the typed
-- text go through it, so a prefix of one spelling finds the others.
-- Deterministic (translate and replace only), hence IMMUTABLE, which a
-- generated column needs.
CREATE FUNCTION kasus_name_key(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT replace(replace(replace(translate(
    replace(replace(replace(replace(replace(lower(s), 'ß', 'ss'), 'æ', 'ae'),
        'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'),
    'àáâãäåāăąÀÁÂÃÄÅĀĂĄçćĉčÇĆĈČďđĎĐèéêëēĕėęěÈÉ'
    || 'ÊËĒĔĖĘĚĝğġģĜĞĠĢĥĤìíîïĩīĭįıÌÍÎÏĨĪĬĮİĵĴķĶĺļ'
    || 'ľłĹĻĽŁñńņňÑŃŅŇòóôõöøōŏőÒÓÔÕÖØŌŎŐŕřŔŘśŝşšŚ'
    || 'ŜŞŠţťŢŤùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲŵŴýÿŷÝŸŶźżžŹŻŽ',
    'aaaaaaaaaaaaaaaaaaccccccccddddeeeeeeeeeee'
    || 'eeeeeeegggggggghhiiiiiiiiiiiiiiiiiijjkkll'
    || 'llllllnnnnnnnnoooooooooooooooooorrrrsssss'
    || 'sssttttuuuuuuuuuuuuuuuuuuuuwwyyyyyyzzzzzz'),
    'ae', 'a'), 'oe', 'o'), 'ue', 'u')
$$;

-- Stored keys (see 0006 for why stored: under row-level security only
-- leakproof operators over a column bound an index scan), one index per
-- search order: by last name (then first name), and by first name alone.
ALTER TABLE person
	ADD COLUMN last_norm text GENERATED ALWAYS AS
	    (kasus_name_key(last_name)) STORED,
	ADD COLUMN first_norm text GENERATED ALWAYS AS
	    (kasus_name_key(first_name)) STORED,
	-- eCH-0011 marital status, with separated (a fact the budget and
	-- the family law questions of social assistance need) as its own.
	ADD COLUMN civil_status text CHECK (civil_status IN ('single',
	    'married', 'separated', 'divorced', 'widowed',
	    'registered_partnership', 'dissolved_partnership', 'unknown'));
CREATE INDEX person_norm_last ON person (tenant_id, last_norm text_pattern_ops,
    first_norm text_pattern_ops, id);
CREATE INDEX person_norm_first ON person (tenant_id,
    first_norm text_pattern_ops, last_norm text_pattern_ops, id);

-- Addresses over time. A row applies from valid_from until the next
-- row's valid_from; valid_from NULL is the address a person had when
-- first recorded, from no known day. The person row's address columns
-- are the address in force today (payments, letters and transfers read
-- them); core/person.c keeps them so on every change, and new addresses
-- apply from today or a past day, never ahead, so they cannot go stale.
CREATE TABLE person_address (
	tenant_id	bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('object_id_seq'),
	person_id	bigint NOT NULL,
	valid_from	date,
	street		text CHECK (length(street) <= 70),
	house_no	text CHECK (length(house_no) <= 16),
	postcode	text CHECK (length(postcode) <= 16),
	town		text CHECK (length(town) <= 35),
	country		text NOT NULL DEFAULT 'CH' CHECK (country ~ '^[A-Z]{2}$'),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, person_id) REFERENCES person,
	UNIQUE NULLS NOT DISTINCT (tenant_id, person_id, valid_from)
);
ALTER TABLE person_address ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_address FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person_address USING
    (tenant_id = kasus_tenant()) WITH CHECK (tenant_id = kasus_tenant());
GRANT SELECT, INSERT, UPDATE ON person_address TO kasus_app;

-- A person registered with an address (by the API, a transfer, the
-- fixtures or the benchmark's data set) starts its history with it.
CREATE FUNCTION person_address_first() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.street IS NOT NULL OR NEW.house_no IS NOT NULL OR
	    NEW.postcode IS NOT NULL OR NEW.town IS NOT NULL THEN
		INSERT INTO person_address (tenant_id, person_id, valid_from,
		    street, house_no, postcode, town, country)
		VALUES (NEW.tenant_id, NEW.id, NULL, NEW.street, NEW.house_no,
		    NEW.postcode, NEW.town, NEW.country);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER person_address_first AFTER INSERT ON person
    FOR EACH ROW EXECUTE FUNCTION person_address_first();

INSERT INTO person_address (tenant_id, person_id, valid_from, street,
    house_no, postcode, town, country)
SELECT tenant_id, id, NULL, street, house_no, postcode, town, country
  FROM person
 WHERE street IS NOT NULL OR house_no IS NOT NULL OR postcode IS NOT NULL
    OR town IS NOT NULL;

-- The dossiers of a person: as applicant, or through a household they
-- belong or belonged to (person page and search results).
CREATE INDEX person_dossier_applicant ON dossier (tenant_id, applicant_id);
CREATE INDEX person_dossier_household ON dossier (tenant_id, household_id);

-- A person's dossiers, newest first, as the person page and the search
-- results show them: state, case worker, and whether the person is the
-- applicant. Runs with the caller's rights: row-level security applies.
CREATE FUNCTION person_dossiers(p bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_agg(json_build_object('id', d.id, 'module', d.module,
       'state', d.state, 'opened_on', d.opened_on, 'closed_on', d.closed_on,
       'is_applicant', d.applicant_id = p,
       'caseworker', CASE WHEN u.id IS NOT NULL THEN json_build_object(
           'id', u.id, 'display_name', u.display_name) END)
       ORDER BY d.id DESC)
  FROM dossier d
  LEFT JOIN app_user u ON u.tenant_id = d.tenant_id AND u.id = d.caseworker_id
 WHERE d.tenant_id = kasus_tenant()
   AND (d.applicant_id = p OR d.household_id IN (
        SELECT m.household_id FROM household_member m
         WHERE m.tenant_id = kasus_tenant() AND m.person_id = p))
$$;

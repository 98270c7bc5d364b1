-- Why a payment line cannot go out (its status 'held'), written once for
-- every module that contributes lines to a run (struct ks_money): no
-- name, no IBAN, an IBAN of the wrong form, or no town and country.
-- NULL: the line can be paid. The core checks the IBAN's check digits
-- and QR-IBANs after the lines are in (run_held).
CREATE FUNCTION payment_line_problem(p_name text, p_iban text, p_town text,
    p_country text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN p_name IS NULL THEN 'no_name'
	            WHEN p_iban IS NULL THEN 'no_iban'
	            WHEN p_iban !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'
	            THEN 'invalid_iban'
	            WHEN p_town IS NULL OR p_country IS NULL OR
	                 p_country !~ '^[A-Z]{2}$' THEN 'no_address'
	       END
$$;
GRANT EXECUTE ON FUNCTION payment_line_problem(text, text, text, text)
    TO kasus_app;

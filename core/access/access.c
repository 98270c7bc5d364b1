/*
 * access.c - the one dossier access policy.
 *
 * Every path that touches a dossier asks here: the core's own routes
 * (documents, transfer, persons and households) and, through struct
 * ks_api, every route of a domain module, also those that name a child
 * record (goal, deadline, budget, decision, claim, payment) and resolve
 * its dossier first.
 *
 * The rule. Row-level security keeps every tenant to its own rows (a
 * foreign id is a 404 like an unknown one). Within a social service,
 * reading is open to every role that has the route's permission (need to
 * know within the service). Changing a dossier is for the members of its
 * team: a user with a team changes only dossiers of that team or without
 * a team; users without a team and team leads (who approve, permission
 * case.approve) are not restricted. A person or household is changed
 * under the same rule for every open dossier it belongs to, so a case
 * worker cannot rewrite another team's client through the person.
 */
#include <stdlib.h>
#include <string.h>

#include "kasus.h"
#include "queries.h"

/* Is the principal free of the team rule (no team, or a team lead)? */
static int
unrestricted(const struct ks_principal *who)
{
	return who->team == NULL || *who->team == '\0' ||
	    ks_has_perm(who, "case.approve");
}

/* May the principal change a record of this team ("" or NULL: none)? */
static int
team_writes(const struct ks_principal *who, const char *team)
{
	if (team == NULL || *team == '\0' || unrestricted(who))
		return 1;
	return strcmp(team, who->team) == 0;
}

static int
other_team(struct ks_request *req, const char *team, const char *message)
{
	return ks_fail_detail(req, 403, "other_team", message,
	    json_pack("{s:s}", "team", team));
}

static int
write_mode(struct ks_request *req, int mode)
{
	if (mode == KS_ACCESS_AUTO)
		return !req->read_only;
	return mode == KS_ACCESS_WRITE;
}

int
ks_access_team(struct ks_request *req, const char *team, int mode)
{
	if (write_mode(req, mode) && !team_writes(&req->who, team))
		return other_team(req, team, "this dossier belongs to another "
		    "team; ask its team or your team lead");
	return KS_OK;
}

PGresult *
ks_access_dossier(struct ks_request *req, int64_t id, int mode)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r;

	if ((r = ks_db_q(req, Q_ACCESS_DOSSIER, 1, v)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		ks_fail(req, 404, "not_found", "no such dossier");
		return NULL;
	}
	if (ks_access_team(req, ks_db_get(r, 0, "team"), mode) != KS_OK)
		return NULL;
	return r;
}

/* Every team of the rows must be one the principal writes for. */
static int
teams_write(struct ks_request *req, PGresult *r)
{
	int i;

	for (i = 0; i < PQntuples(r); i++)
		if (!team_writes(&req->who, ks_db_str(r, i, "team")))
			return other_team(req, ks_db_str(r, i, "team"), "this "
			    "belongs to an open dossier of another team; ask "
			    "its team or your team lead");
	return KS_OK;
}

/* The open dossiers statement q finds for id must all be the caller's. */
static int
open_dossiers(struct ks_request *req, int q, int64_t id)
{
	const char *v[1] = { ks_num(req, id) };
	PGresult *r;

	if (unrestricted(&req->who))
		return KS_OK;
	if ((r = ks_db_q(req, q, 1, v)) == NULL)
		return KS_ERROR;
	return teams_write(req, r);
}

int
ks_access_person(struct ks_request *req, int64_t person)
{
	return open_dossiers(req, Q_ACCESS_PERSON_TEAMS, person);
}

int
ks_access_household(struct ks_request *req, int64_t household)
{
	return open_dossiers(req, Q_ACCESS_HOUSEHOLD_TEAMS, household);
}

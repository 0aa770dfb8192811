/*  xc-registry: invitations, enrollments by proof of possession, and the writes of the
    principal registry they lead to (docs/services/registry.md). */
#include "services/registry/registry.h"

static registry_t s_registry;

static const xc_migration_t s_migrations[] = {
    { "invitations and enrollments",
      /* the names people are shown by: the registry file has no member for them */
      "CREATE TABLE people (iss TEXT PRIMARY KEY, display TEXT NOT NULL);"
      /* state: open (the code may be used), enrolled (it was), void (five wrong codes, a
         newer invitation, a revocation); an expired one stays open until replaced */
      "CREATE TABLE invitations (id INTEGER PRIMARY KEY, iss TEXT NOT NULL, display TEXT NOT NULL,"
      " role TEXT NOT NULL, scope TEXT NOT NULL, until TEXT NOT NULL, code_sha256 TEXT NOT NULL,"
      " expires INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
      " reenroll INTEGER NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL);"
      "CREATE UNIQUE INDEX invitations_open ON invitations (iss) WHERE state = 'open';"
      "CREATE TABLE enrollments (id INTEGER PRIMARY KEY,"
      " invitation INTEGER NOT NULL REFERENCES invitations (id), iss TEXT NOT NULL,"
      " kid TEXT NOT NULL UNIQUE, x TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,"
      " reason TEXT, submitted INTEGER NOT NULL, decided INTEGER, by TEXT);"
      "CREATE UNIQUE INDEX enrollments_pending ON enrollments (iss) WHERE state = 'pending';" },
};

static const xc_field_t s_policy_fields[] = {
    { .name = "invitation_hours", .type = XC_T_INTEGER, .min = 1, .max = 720 },
    { .name = NULL },
};

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    registry_t *registry = state;
    json_t *policy = xc_config_policy (xc_service_config (service), "registry", s_policy_fields, err);
    if (!policy)
        return -1;
    json_t *hours = json_object_get (policy, "invitation_hours");
    registry->policy.invitation_hours = hours ? (int) json_integer_value (hours) : 72;
    registry->policy.max_attempts = 5;
    json_decref (policy);
    return 0;
}

/* the events name people and keys: the office reads them, and the services */
static const char *const s_readers[] = { "office", "service", NULL };

int
main (int argc, char **argv)
{
    size_t n_routes;
    const xc_route_t *routes = registry_routes (&n_routes);
    const xc_service_def_t def = {
        .name = "registry",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = routes,
        .n_routes = n_routes,
        .event_readers = s_readers,
        .state = &s_registry,
        .start = s_start,
    };
    return xc_service_main (&def, argc, argv);
}

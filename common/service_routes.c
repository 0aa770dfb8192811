/*  service_routes.c: the routes every service has besides its own: events.read (its outbox,
    redacted for a reader who may not see an event), health, and clock.set in test mode; and
    the lookup of a message type's route. Private to the service*.c files
    (service_internal.h); it calls service_call.c only. */
#include "common/service.h"
#include "common/service_internal.h"

#include <string.h>

#include "common/clock.h"
#include "common/inbox.h"
#include "common/outbox.h"
#include "common/waiting.h"

static const char *const s_any[] = { "*", NULL };

static const xc_field_t s_events_read_fields[] = {
    { .name = "after", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 1000 },
    { .name = NULL },
};

/*  A redacted entry keeps its type and seq, but a keyed event's key ("overdue:<lead>:<date>")
    says what the message would: the reader gets the message's own id instead, derived from the
    key (message_id_derive; one way, the key cannot be read back). */
static void
s_redact_id (const xc_service_t *self, json_t *event)
{
    const char *id = json_string_value (json_object_get (event, "id"));
    if (!id || xc_uuid_valid (id))
        return;
    char uuid[XC_UUID_LEN + 1];
    message_id_derive (self, id, uuid);
    json_object_set_new (event, "id", json_string (uuid));
}

static int
s_events_read (xc_call_t *call, void *state)
{
    (void) state;
    xc_service_t *self = call->service;
    const json_t *data = call->msg->data;
    json_int_t after = json_integer_value (json_object_get (data, "after"));
    json_t *limit_json = json_object_get (data, "limit");
    int limit = limit_json ? (int) json_integer_value (limit_json) : 100;
    int64_t head;
    json_t *events;
    /* the page stops below the frame limit: the reader goes on from its last seq */
    if (xc_outbox_head (self->store, &head, &call->err) != 0
        || xc_outbox_read (self->store, after, limit, self->config->max_message_bytes,
                           &events, &call->err) != 0)
        return -1;
    if (self->def->event_visible) {
        size_t i;
        json_t *event;
        json_array_foreach (events, i, event) {
            const char *visibility = json_string_value (json_object_get (event, "visibility"));
            if (!self->def->event_visible (call->msg->principal, visibility, self->def->state)) {
                json_object_del (event, "message");
                json_object_set_new (event, "redacted", json_true ());
                s_redact_id (self, event);
            }
        }
    }
    /* The class is the service's own business: readers see a message or "redacted". */
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
        json_object_del (event, "visibility");
    xc_call_result (call, json_pack ("{s:o, s:I}", "events", events, "head", (json_int_t) head));
    return 0;
}

/*  health's "waiting": {"calendar": n, "oldest": RFC 3339 or null} (waiting.h). */
static json_t *
s_waiting_health (xc_service_t *self, xc_err_t *err)
{
    int64_t n, oldest;
    if (xc_waiting_count (self->store, &n, &oldest, err) != 0)
        return NULL;
    char since[XC_RFC3339_LEN + 1];
    if (n)
        xc_clock_format (oldest, since);
    return json_pack ("{s:I, s:o}", "calendar", (json_int_t) n, "oldest",
                      n ? json_string (since) : json_null ());
}

static int
s_health (xc_call_t *call, void *state)
{
    (void) state;
    xc_service_t *self = call->service;
    int64_t head, commands;
    if (xc_outbox_head (self->store, &head, &call->err) != 0
        || xc_inbox_count (self->store, &commands, &call->err) != 0)
        return -1;
    char wall[XC_RFC3339_LEN + 1], domain[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_clock_wall (), wall);
    xc_clock_format (xc_clock_now (), domain);
    json_t *sources = json_object ();
    for (int i = 0; i < self->n_consumers; i++)
        json_object_set_new (sources, xc_consumer_source (self->consumers[i]),
                             json_pack ("{s:I, s:I}", "offset",
                                        (json_int_t) xc_consumer_offset (self->consumers[i]), "head",
                                        (json_int_t) xc_consumer_head (self->consumers[i])));
    json_t *result_waiting = self->def->event_object ? s_waiting_health (self, &call->err) : NULL;
    if (self->def->event_object && !result_waiting) {
        json_decref (sources);
        return -1;
    }
    xc_call_result (call, json_pack ("{s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:I, s:o, s:o*}",
                                     "service", self->def->name,
                                     "deployment", self->config->deployment,
                                     "head", (json_int_t) head,
                                     "commands", (json_int_t) commands,
                                     "time", wall, "clock", domain,
                                     "test_mode", xc_clock_test_mode (),
                                     "uptime_s", (json_int_t) (xc_clock_wall () - self->started),
                                     "sources", sources, "waiting", result_waiting));
    return 0;
}

static const xc_field_t s_clock_set_fields[] = {
    { .name = "clock", .type = XC_T_STRING, .required = true, .min = 20, .max = 40 },
    { .name = NULL },
};

/*  Moves the domain clock forward to at least the given instant. Setting an absolute time,
    not adding seconds, makes a resent request harmless. */
static int
s_clock_set (xc_call_t *call, void *state)
{
    (void) state;
    int64_t target;
    if (xc_clock_parse (json_string_value (json_object_get (call->msg->data, "clock")), &target,
                        &call->err) != 0)
        return -1;
    int64_t delta = target - xc_clock_now ();
    if (delta > 0 && xc_clock_advance (delta, &call->err) != 0)
        return -1;
    char domain[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_clock_now (), domain);
    xc_call_result (call, json_pack ("{s:s}", "clock", domain));
    return 0;
}

const xc_field_t route_no_fields[] = { { .name = NULL } };

const xc_route_t *
route_find (xc_service_t *self, const char *type)
{
    static xc_route_t builtin[3];
    builtin[0] = (xc_route_t) { "events.read", XC_QUERY, self->def->event_readers,
                                s_events_read_fields, s_events_read };
    builtin[1] = (xc_route_t) { "health", XC_QUERY, s_any, route_no_fields, s_health };
    builtin[2] = (xc_route_t) { "clock.set", XC_QUERY, s_any, s_clock_set_fields, s_clock_set };
    for (size_t i = 0; i < self->def->n_routes; i++)
        if (strcmp (self->def->routes[i].type, type) == 0)
            return &self->def->routes[i];
    int n_builtin = xc_clock_test_mode () ? 3 : 2;
    for (int i = 0; i < n_builtin; i++)
        if (strcmp (builtin[i].type, type) == 0)
            return &builtin[i];
    return NULL;
}

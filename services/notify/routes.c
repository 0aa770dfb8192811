/*  routes.c: the notify service's commands and queries, who may send each and the schema of
    its data (common/service.h). main.c gives them to the service; tests/fuzz checks the schemas
    against hostile data. */
#include "services/notify/notify.h"

static const char *const s_anyone[] = { "*", NULL };
static const char *const s_office[] = { "office", NULL };
static const char *const s_states[] = { "pending", "retrying", "sent", "dead", "held", "acknowledged", NULL };
static const char *const s_channels[] = { "email", "webhook", "stream", NULL };

#define PAGE \
    { .name = "after", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX }, \
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 500 }
static const xc_field_t s_list[] = {
    { .name = "recipient", .type = XC_T_ID },
    { .name = "type", .type = XC_T_STRING, .min = 1, .max = 64 },
    { .name = "state", .type = XC_T_STRING, .one_of = s_states },
    { .name = "channel", .type = XC_T_STRING, .one_of = s_channels },
    PAGE,
    { .name = NULL },
};
static const xc_field_t s_get[] = {
    { .name = "delivery", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = NULL },
};
static const xc_field_t s_read[] = { PAGE, { .name = NULL } };
static const xc_field_t s_delivery_id = { .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX };
static const xc_field_t s_ack[] = {
    { .name = "deliveries", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 500, .items = &s_delivery_id },
    { .name = NULL },
};

/*  A department system reads and acknowledges its own stream; the handlers check that the
    sender is a principal of the directory. */
static const xc_route_t s_routes[] = {
    { "notify.ack", XC_COMMAND, s_anyone, s_ack, notify_ack },
    { "notify.read", XC_QUERY, s_anyone, s_read, notify_read },
    { "notify.list", XC_QUERY, s_anyone, s_list, notify_list },
    { "notify.get", XC_QUERY, s_anyone, s_get, notify_get },
    { "notify.stats", XC_QUERY, s_office, NULL, notify_stats },
};

const xc_route_t *
notify_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}

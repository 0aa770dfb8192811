/*  export.c: the three lists (三张清单) of a round or unit as CSV that a spreadsheet opens.

    RFC 4180, UTF-8 with a byte order mark and Chinese headers on the first page; later pages
    are rows only, so pages concatenate into one file. Pages are cut between items, so an
    item's measures are never split, at `limit` items or earlier, below the frame limit
    (common/page.h); an item whose lines alone would not fit in a reply is named in
    "too_large" instead.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/text.h"
#include "services/rectify/rectify.h"

#define FILTER "(?1 IS NULL OR i.round = ?1) AND (?2 IS NULL OR i.unit = ?2)" \
               " AND (?3 IS NULL OR i.unit IN (SELECT value FROM json_each (?3)))"

/* the unit's name on the item's feedback date (units are renamed); its first name when the
   unit did not exist yet then (a successor), else the name it has now */
#define UNIT_NAME "coalesce ((SELECT n.name FROM unit_names n WHERE n.unit = i.unit" \
                  " AND coalesce (n.from_on, '') <= i.opened_on ORDER BY n.n DESC LIMIT 1)," \
                  " (SELECT n.name FROM unit_names n WHERE n.unit = i.unit ORDER BY n.n LIMIT 1), u.name)"

static const char *
s_label (const char *value)
{
    static const char *const labels[][2] = {
        { "immediate", "立行立改" }, { "deadline", "限期整改" }, { "long_term", "长期坚持" },
        { "opened", "待制定方案" }, { "planned", "整改中" }, { "claimed", "待审核销号" },
        { "reopened", "退回整改" }, { "closed", "已销号" },
        { "completed", "完成" }, { "mostly_completed", "基本完成" },
    };
    for (size_t i = 0; value && i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp (labels[i][0], value) == 0)
            return labels[i][1];
    return value;
}

typedef struct {
    const char *name;
    const char *header;
    const char *sql;                 /* ?1 round, ?2 unit, ?3 units, ?4 after; the item first */
    int columns;
    unsigned labelled;               /* bit i: column i is a value with a Chinese label */
} s_list_t;

static const s_list_t s_lists[] = {
    { "problems",
      "事项编号,问题编号,巡察轮次,单位编号,单位名称,问题类别,问题描述,整改类型,状态,反馈日期,整改期限,完成情况",
      "SELECT i.id, i.problem, i.round, i.unit, " UNIT_NAME ", coalesce (i.category_name, i.category), i.summary,"
      " i.class, i.state, i.opened_on, i.due, i.completion FROM items i LEFT JOIN units u ON u.id = i.unit WHERE " FILTER
      " AND i.id > ?4 ORDER BY i.id", 12, (1u << 7) | (1u << 8) | (1u << 11) },
    { "tasks",
      "事项编号,单位编号,问题描述,措施序号,整改措施,完成时限,完成日期",
      "SELECT i.id, i.unit, i.summary, m.n, m.text, m.deadline, m.done_on FROM items i"
      " JOIN measures m ON m.item = i.id WHERE " FILTER " AND i.id > ?4 ORDER BY i.id, m.n", 7, 0 },
    { "responsibilities",
      "事项编号,单位编号,措施序号,整改措施,责任人,牵头领导,完成时限",
      "SELECT i.id, i.unit, m.n, m.text, m.owner, m.lead_leader, m.deadline FROM items i"
      " JOIN measures m ON m.item = i.id WHERE " FILTER " AND i.id > ?4 ORDER BY i.id, m.n", 7, 0 },
};

static void
s_bind (sqlite3_stmt *stmt, const json_t *data, const char *units, json_int_t after)
{
    sqlite3_bind_text (stmt, 1, json_string_value (json_object_get (data, "round")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "unit")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, units, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, after);
}

/*  Offers one item's lines to the page: 1 appended to csv, 2 named in too_large instead (too
    large for a page of its own, or for the first page beside the header), 0 the page is full,
    -1 out of memory. */
static int
s_offer (xc_page_t *page, xc_buf_t *csv, xc_buf_t *lines, bool first, json_int_t item, json_t *too_large)
{
    if (lines->failed)
        return -1;
    int rc = xc_page_add_text (page, lines->data ? lines->data : "", lines->len);
    if (rc == -2 || (rc == 0 && first)) {
        json_array_append_new (too_large, json_integer (item));
        rc = 2;
    }
    else if (rc == 1)
        xc_buf_put (csv, lines->data ? lines->data : "", lines->len);
    lines->len = 0;
    return rc;
}

int
rectify_export (xc_call_t *call, void *state)
{
    const json_t *data = xc_call_msg (call)->data;
    const char *name = json_string_value (json_object_get (data, "list"));
    const s_list_t *list = &s_lists[0];
    for (size_t i = 0; i < sizeof s_lists / sizeof s_lists[0]; i++)
        if (strcmp (s_lists[i].name, name) == 0)
            list = &s_lists[i];
    const char *owner, *district;
    if (rectify_owner_filter (call, &owner, &district) != 0)
        return -1;
    /* a district office: the items of the rounds it owns or reads (?5), through the rounds' index */
    char sql[2048];
    const char *cut = strstr (list->sql, " AND i.id > ?4");
    if (district && cut) {
        char scope[512];
        rectify_district_clause (scope, sizeof scope, "i", 5);
        snprintf (sql, sizeof sql, "%.*s AND %s%s", (int) (cut - list->sql), list->sql, scope, cut);
    }
    else
        snprintf (sql, sizeof sql, "%s", list->sql);
    char *units;
    if (rectify_scope_units (call, state, &units) != 0)
        return -1;
    json_int_t after = json_integer_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    xc_page_t page;
    json_t *too_large = json_array ();
    xc_buf_t csv = { 0 }, lines = { 0 };
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt || xc_page_init (&page, xc_call_config (call)->max_message_bytes, limit, NULL) != 0) {
        free (units);
        json_decref (too_large);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    if (after == 0) {
        xc_buf_puts (&lines, "\xEF\xBB\xBF");
        xc_buf_puts (&lines, list->header);
        xc_buf_puts (&lines, "\r\n");
        if (xc_page_add_text (&page, lines.data, lines.len) == 1)
            xc_buf_put (&csv, lines.data, lines.len);
        lines.len = 0;
    }
    s_bind (stmt, data, units, after);
    if (district)
        sqlite3_bind_text (stmt, 5, district, -1, SQLITE_STATIC);
    /* the rows come in item order: an item's lines are gathered, then offered whole */
    json_int_t item = 0, last = after, rows = 0, item_rows = 0;
    int items = 0, taken = 1, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        json_int_t id = sqlite3_column_int64 (stmt, 0);
        if (id != item && item != 0) {
            taken = items == limit ? 0 : s_offer (&page, &csv, &lines, items == 0, item, too_large);
            if (taken != 1 && taken != 2)
                break;
            last = item;
            rows += taken == 1 ? item_rows : 0;
            items++;
            item_rows = 0;
        }
        item = id;
        for (int c = 0; c < list->columns; c++) {
            const char *v = (const char *) sqlite3_column_text (stmt, c);
            xc_csv_field (&lines, (list->labelled >> c) & 1 ? s_label (v) : v, c == 0);
        }
        xc_buf_puts (&lines, "\r\n");
        item_rows++;
    }
    sqlite3_reset (stmt);
    free (units);
    bool more = taken == 0;
    if (rc == SQLITE_DONE && item != 0) {
        /* the last item: offered like the others */
        taken = items == limit ? 0 : s_offer (&page, &csv, &lines, items == 0, item, too_large);
        more = taken == 0;
        if (taken == 1 || taken == 2) {
            last = item;
            rows += taken == 1 ? item_rows : 0;
        }
    }
    xc_page_clear (&page);
    xc_buf_free (&lines);
    if (taken < 0 || csv.failed || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
        xc_buf_free (&csv);
        json_decref (too_large);
        return taken < 0 || csv.failed ? xc_call_fail (call, XC_E_INTERNAL, "out of memory")
                                       : xc_call_fail_db (call, "unable to export the list");
    }
    json_t *result = json_pack ("{s:s, s:I, s:o}", "csv", csv.data ? csv.data : "", "rows", rows,
                                "next", more ? json_integer (last) : json_null ());
    if (json_array_size (too_large) > 0)
        json_object_set (result, "too_large", too_large);
    json_decref (too_large);
    xc_call_result (call, result);
    xc_buf_free (&csv);
    return 0;
}

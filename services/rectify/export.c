/*  export.c: the three lists (三张清单) of a round or unit as CSV that a spreadsheet opens.

    RFC 4180, UTF-8 with a byte order mark and Chinese headers on the first page; later pages
    are rows only, so pages concatenate into one file. Pages are cut between items, so an
    item's measures are never split.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "services/rectify/rectify.h"

#define FILTER "(?1 IS NULL OR i.round = ?1) AND (?2 IS NULL OR i.unit = ?2)" \
               " AND (?3 IS NULL OR i.unit IN (SELECT value FROM json_each (?3)))"

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
    const char *sql;                 /* ?1 round, ?2 unit, ?3 units, ?4 after, ?5 last item */
    int columns;
    unsigned labelled;               /* bit i: column i is a value with a Chinese label */
} s_list_t;

static const s_list_t s_lists[] = {
    { "problems",
      "事项编号,问题编号,巡察轮次,单位编号,单位名称,问题类别,问题描述,整改类型,状态,反馈日期,整改期限,完成情况",
      "SELECT i.id, i.problem, i.round, i.unit, u.name, i.category, i.summary, i.class, i.state, i.opened_on,"
      " i.due, i.completion FROM items i LEFT JOIN units u ON u.id = i.unit WHERE " FILTER
      " AND i.id > ?4 AND i.id <= ?5 ORDER BY i.id", 12, (1u << 7) | (1u << 8) | (1u << 11) },
    { "tasks",
      "事项编号,单位编号,问题描述,措施序号,整改措施,完成时限,完成日期",
      "SELECT i.id, i.unit, i.summary, m.n, m.text, m.deadline, m.done_on FROM items i"
      " JOIN measures m ON m.item = i.id WHERE " FILTER " AND i.id > ?4 AND i.id <= ?5 ORDER BY i.id, m.n", 7, 0 },
    { "responsibilities",
      "事项编号,单位编号,措施序号,整改措施,责任人,牵头领导,完成时限",
      "SELECT i.id, i.unit, m.n, m.text, m.owner, m.lead_leader, m.deadline FROM items i"
      " JOIN measures m ON m.item = i.id WHERE " FILTER " AND i.id > ?4 AND i.id <= ?5 ORDER BY i.id, m.n", 7, 0 },
};

static void
s_bind (sqlite3_stmt *stmt, const json_t *data, const char *units, json_int_t after)
{
    sqlite3_bind_text (stmt, 1, json_string_value (json_object_get (data, "round")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "unit")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, units, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, after);
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
    char *units;
    if (rectify_scope_units (call, state, &units) != 0)
        return -1;
    json_int_t after = json_integer_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    /* the page's last item: the limit-th after `after`, or the last of all */
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT i.id FROM items i WHERE " FILTER " AND i.id > ?4"
                                             " ORDER BY i.id LIMIT ?5");
    if (!stmt) {
        free (units);
        return -1;
    }
    s_bind (stmt, data, units, after);
    sqlite3_bind_int (stmt, 5, limit + 1);
    json_int_t last = after;
    int n = 0;
    bool more = false;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        if (n == limit) {
            more = true;
            break;
        }
        last = sqlite3_column_int64 (stmt, 0);
        n++;
    }
    sqlite3_reset (stmt);

    xc_buf_t b = { 0 };
    if (after == 0) {
        xc_buf_puts (&b, "\xEF\xBB\xBF");
        xc_buf_puts (&b, list->header);
        xc_buf_puts (&b, "\r\n");
    }
    stmt = xc_call_stmt (call, list->sql);
    if (!stmt) {
        free (units);
        xc_buf_free (&b);
        return -1;
    }
    s_bind (stmt, data, units, after);
    sqlite3_bind_int64 (stmt, 5, last);
    json_int_t rows = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        for (int c = 0; c < list->columns; c++) {
            const char *v = (const char *) sqlite3_column_text (stmt, c);
            xc_csv_field (&b, (list->labelled >> c) & 1 ? s_label (v) : v, c == 0);
        }
        xc_buf_puts (&b, "\r\n");
        rows++;
    }
    sqlite3_reset (stmt);
    free (units);
    if (rc != SQLITE_DONE || b.failed) {
        xc_buf_free (&b);
        return b.failed ? xc_call_fail (call, XC_E_INTERNAL, "out of memory")
                        : xc_call_fail_db (call, "unable to export the list");
    }
    xc_call_result (call, json_pack ("{s:s, s:I, s:o}", "csv", b.data ? b.data : "", "rows", rows,
                                     "next", more ? json_integer (last) : json_null ()));
    xc_buf_free (&b);
    return 0;
}

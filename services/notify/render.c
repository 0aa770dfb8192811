/*  render.c: the subject and text of a notice, from the template of its event type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/calendar.h"
#include "common/text.h"
#include "services/notify/notify.h"

/*  Why a notice came, under every text: users must never wonder. */
static const char s_reason[] = "\n\n——\n此通知依据规则“{rule_name}”，由{source_name}第{seq}号事件（{type_name}）触发。";

/*  values' member name, or a member of a member ("leader.name": the events' people are objects). */
static const json_t *
s_member (const json_t *values, const char *name)
{
    const json_t *v = json_object_get (values, name);
    const char *dot = strchr (name, '.');
    if (v || !dot)
        return v;
    char head[65];
    snprintf (head, sizeof head, "%.*s", (int) (dot - name), name);
    const json_t *inner = json_object_get (values, head);
    return json_is_object (inner) ? s_member (inner, dot + 1) : NULL;
}

/*  A policy's span as people say it: "3 months" 3个月, "20 workdays" 20个工作日, "10 days" 10天;
    NULL when text is not a span. */
static json_t *
s_span_words (const char *text)
{
    xc_span_t span;
    xc_err_t err;
    if (!text || xc_span_parse (text, &span, &err) != 0)
        return NULL;
    const char *unit = span.unit == XC_SPAN_MONTHS ? "个月" : span.unit == XC_SPAN_WORKDAYS ? "个工作日" : "天";
    char words[64];
    snprintf (words, sizeof words, "%d%s", span.amount, unit);
    return json_string (words);
}

/*  How a value reads: its label, or itself. */
static const char *
s_label (const notify_t *notify, const char *value)
{
    const json_t *label = value ? json_object_get (notify->labels, value) : NULL;
    return label ? json_string_value (label) : value ? value : "";
}

char *
notify_render (const char *text, const json_t *values)
{
    xc_buf_t b = { 0 };
    xc_buf_put (&b, "", 0);
    for (const char *p = text; *p;) {
        const char *open = strchr (p, '{');
        const char *close = open ? strchr (open, '}') : NULL;
        if (!open || !close || close - open > 64) {
            xc_buf_put (&b, p, open ? (size_t) (open - p) + 1 : strlen (p));
            p = open ? open + 1 : p + strlen (p);
            continue;
        }
        xc_buf_put (&b, p, (size_t) (open - p));
        char name[65], number[32];
        snprintf (name, sizeof name, "%.*s", (int) (close - open - 1), open + 1);
        const json_t *v = s_member (values, name);
        if (json_is_string (v))
            xc_buf_puts (&b, json_string_value (v));
        else if (json_is_integer (v)) {
            snprintf (number, sizeof number, "%lld", (long long) json_integer_value (v));
            xc_buf_puts (&b, number);
        }
        else                         /* unknown: left as written, so a wrong template shows */
            xc_buf_put (&b, open, (size_t) (close - open) + 1);
        p = close + 1;
    }
    if (b.failed) {
        xc_buf_free (&b);
        return NULL;
    }
    return b.data;
}

/*  The template of type, or of type:colour when there is one. */
static const json_t *
s_template (const notify_t *notify, const char *type, const json_t *data)
{
    const char *colour = json_string_value (json_object_get (data, "colour"));
    if (colour) {
        char key[160];
        snprintf (key, sizeof key, "%s:%s", type, colour);
        const json_t *t = json_object_get (notify->templates, key);
        if (t)
            return t;
    }
    return json_object_get (notify->templates, type);
}

int
notify_compose (const notify_t *notify, const char *type, const json_t *data, const json_t *extras,
                char **subject, char **text)
{
    json_t *values = json_deep_copy (data);
    /* values read as people say them: "reminder" is 提醒 in a text (the data keeps the value) */
    const char *key;
    json_t *v;
    json_object_foreach (values, key, v) {
        const json_t *label = json_is_string (v) ? json_object_get (notify->labels, json_string_value (v)) : NULL;
        if (label)
            json_string_set (v, json_string_value (label));
    }
    json_object_update (values, (json_t *) extras);
    /* words, not codes: the event's type and source, the grade's and the category's names
       (the event's own when it carries them), the span the policy set */
    json_object_set_new (values, "type_name", json_string (s_label (notify, type)));
    json_object_set_new (values, "source_name",
                         json_string (s_label (notify, json_string_value (json_object_get (extras, "source")))));
    const char *grade = json_string_value (json_object_get (data, "grade"));
    if (grade && !json_is_string (json_object_get (data, "grade_name")))
        json_object_set_new (values, "grade_name", json_string (s_label (notify, grade)));
    const json_t *category_name = json_object_get (data, "category_name");
    if (json_is_string (category_name))
        json_object_set (values, "category", (json_t *) category_name);
    json_t *after = s_span_words (json_string_value (json_object_get (data, "after")));
    if (after)
        json_object_set_new (values, "after", after);
    else if (strcmp (type, "revisit.due") == 0 && !json_object_get (data, "after"))
        json_object_set_new (values, "after", json_string ("规定期限"));   /* an event from before the span was sent */
    /* what is due, as people say it */
    const char *deadline = json_string_value (json_object_get (data, "deadline"));
    if (deadline) {
        char name[64];
        if (strcmp (deadline, "measure") == 0)
            snprintf (name, sizeof name, "第%lld项措施", (long long) json_integer_value (json_object_get (data, "measure")));
        else
            snprintf (name, sizeof name, "%s", strcmp (deadline, "plan") == 0 ? "整改方案" : "整改");
        json_object_set_new (values, "deadline_name", json_string (name));
    }
    const json_t *left = json_object_get (data, "days_left");
    if (json_is_integer (left) && json_integer_value (left) < 0)
        json_object_set_new (values, "days_overdue", json_integer (-json_integer_value (left)));
    const json_t *t = s_template (notify, type, data);
    const char *subject_t = t ? json_string_value (json_object_get (t, "subject")) : "【巡察通知】{type_name}";
    const char *text_t = t ? json_string_value (json_object_get (t, "text")) : "{recipient}：\n{type_name}";
    size_t n = strlen (text_t) + sizeof s_reason;
    char *full = malloc (n);
    if (full)
        snprintf (full, n, "%s%s", text_t, s_reason);
    *subject = notify_render (subject_t, values);
    *text = full ? notify_render (full, values) : NULL;
    free (full);
    json_decref (values);
    if (!*subject || !*text) {
        free (*subject);
        free (*text);
        *subject = *text = NULL;
        return -1;
    }
    return 0;
}

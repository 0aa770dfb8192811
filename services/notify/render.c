/*  render.c: the subject and text of a notice, from the template of its event type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

/*  Why a notice came, under every text: users must never wonder. */
static const char s_reason[] = "\n\n——\n此通知依据规则 {rule}，由事件 {source}#{seq}（{type}）触发。";

typedef struct {
    char *text;
    size_t len, size;
} s_buf_t;

static int
s_put (s_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->size) {
        size_t size = b->size ? b->size : 256;
        while (size < b->len + n + 1)
            size *= 2;
        char *text = realloc (b->text, size);
        if (!text)
            return -1;
        b->text = text;
        b->size = size;
    }
    memcpy (b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = 0;
    return 0;
}

char *
notify_render (const char *text, const json_t *values)
{
    s_buf_t b = { 0 };
    int rc = s_put (&b, "", 0);
    for (const char *p = text; rc == 0 && *p;) {
        const char *open = strchr (p, '{');
        const char *close = open ? strchr (open, '}') : NULL;
        if (!open || !close || close - open > 64) {
            rc = s_put (&b, p, open ? (size_t) (open - p) + 1 : strlen (p));
            p = open ? open + 1 : p + strlen (p);
            continue;
        }
        rc = s_put (&b, p, (size_t) (open - p));
        char name[65];
        snprintf (name, sizeof name, "%.*s", (int) (close - open - 1), open + 1);
        const json_t *v = json_object_get (values, name);
        char number[32];
        if (json_is_string (v))
            rc = rc ? rc : s_put (&b, json_string_value (v), strlen (json_string_value (v)));
        else if (json_is_integer (v)) {
            snprintf (number, sizeof number, "%lld", (long long) json_integer_value (v));
            rc = rc ? rc : s_put (&b, number, strlen (number));
        }
        else                         /* unknown: left as written, so a wrong template shows */
            rc = rc ? rc : s_put (&b, open, (size_t) (close - open) + 1);
        p = close + 1;
    }
    if (rc != 0) {
        free (b.text);
        return NULL;
    }
    return b.text;
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
    const char *subject_t = t ? json_string_value (json_object_get (t, "subject")) : "【巡察通知】{type}";
    const char *text_t = t ? json_string_value (json_object_get (t, "text")) : "{recipient}：\n{type}";
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

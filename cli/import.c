/*  import.c: xcctl import round: the office's past rounds loaded from its own spreadsheets
    (CSV with Chinese headers, docs/xcctl.md "Importing past rounds"), signed command by command
    as the office with each fact's real date (occurred_on, docs/protocol.md "History").

    Six files, each optional but the rounds: 轮次 (rounds and their stage dates), 被巡察单位 (the
    targets, their return visits and interviews), 问题 (problems, their disposition and
    rectification), 线索处置 (what the bodies did with leads and handovers), 处理人员 (one row a
    person dealt with) and 专题报告 (special reports sent to departments, with a leader's
    sign-off). Every row is read and checked first (import_rows.c); this module sends what
    passed. A refused row is named by file:line and the rest go on (rows that depend on it, as a
    round's problems, are refused with it). Each command's id is derived from what the row
    names (the round's id, the office's problem number) and the step, so running the same import
    again has no second effect: the services answer duplicate with the first result.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/import.h"
#include "cli/tools.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/hash.h"

/* -------------------------------------------------------------------- the commands */

/*  The command's id: a UUID (version 8) from the signer and what the step is about, so that
    the same row imported again is the same command. */
static void
s_command_id (const import_t *imp, const char *what, char out[XC_UUID_LEN + 1])
{
    unsigned char digest[XC_SHA256_BYTES];
    char text[1024];
    int n = snprintf (text, sizeof text, "xcctl import round|%s|%s", imp->ctl->iss, what);
    xc_sha256 (text, (size_t) n, NULL, 0, digest);
    xc_uuid_format (digest, 8, out);
}

/*  Sends one command as the office with its derived id; the result (caller owns), or NULL
    after naming the row. *down is set when the service did not answer (the import stops). */
static json_t *
s_send (import_t *imp, int file, const ctl_csv_row_t *row, const char *service, const char *type, const char *what,
        json_t *data, bool *down)
{
    char id[XC_UUID_LEN + 1];
    char key[512];
    snprintf (key, sizeof key, "%s|%s", type, what);
    s_command_id (imp, key, id);
    ctl_request_t req = { .service = service, .type = type, .data = data, .id = id, .quiet = true };
    ctl_call_all (imp->ctl, &req, 1);
    if (req.code == CTL_OK)
        return req.result;
    if (req.code == CTL_DOWN || req.code == CTL_BAD_REPLY || req.code == CTL_LOCAL)
        *down = true;
    if (!strcmp (req.error, "replayed"))
        import_refuse (imp, file, row, "%s was imported before with other content (%s %s): a row, once imported, stays"
                  " as it was", what, service, type);
    else if (req.error[0])
        import_refuse (imp, file, row, "%s refused %s: %s: %s", service, type, req.error, req.message);
    else
        import_refuse (imp, file, row, "%s %s: no answer", service, type);
    return NULL;
}

/*  The units by id, for names and ids in the files. CTL_OK or the failure's code. */
static int
s_units (import_t *imp)
{
    int rc;
    json_t *items = ctl_list_all (imp->ctl, "intake", "unit.list", json_object (), &rc);
    if (!items)
        return rc;
    imp->units = json_object ();
    size_t i;
    json_t *u;
    json_array_foreach (items, i, u)
        json_object_set (imp->units, json_string_value (json_object_get (u, "id")), u);
    json_decref (items);
    return CTL_OK;
}

/*  A unit named by its id or its (current or former) name; NULL when none or more than one. */
static const json_t *
s_unit (const import_t *imp, const char *text, const char **why)
{
    const json_t *u = json_object_get (imp->units, text);
    if (u)
        return u;
    const json_t *found = NULL;
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *) imp->units, id, v) {
        bool named = !strcmp (json_string_value (json_object_get (v, "name")), text);
        size_t k;
        json_t *n;
        json_array_foreach (json_object_get (v, "names"), k, n)
            named = named || !strcmp (json_string_value (json_object_get (n, "name")) ?: "", text);
        if (!named)
            continue;
        if (found) {
            *why = "more than one unit has that name: give the unit's id";
            return NULL;
        }
        found = v;
    }
    if (!found)
        *why = "no unit has that id or name (register it first: xcctl import units)";
    return found;
}

static void
s_round_refused (import_t *imp, import_round_t *r)
{
    r->ok = false;
    for (size_t k = 0; k < imp->n_problems; k++)
        if (imp->problems[k].ok && imp->problems[k].round == r - imp->rounds) {
            import_refuse (imp, F_PROBLEMS, imp->problems[k].row, "round %s was not opened", r->id);
            imp->problems[k].ok = false;
        }
}

/*  Opens a round with its targets, its owner resolved; advances it through its stages up to
    before (not including) stage `until`, from `from`. */
static void
s_round_advance (import_t *imp, import_round_t *r, int from, int until, bool *down)
{
    for (int s = from; s < until && s < r->n_stages && r->ok && !*down; s++) {
        char what[128];
        snprintf (what, sizeof what, "%s|%s", r->id, import_stages[s].id);
        json_t *res = s_send (imp, F_ROUNDS, r->row, "intake", "round.advance", what,
                              json_pack ("{s:s, s:s, s:s}", "round", r->id, "stage", import_stages[s].id, "date", r->stages[s]),
                              down);
        if (!res)
            s_round_refused (imp, r);
        json_decref (res);
    }
}

static void
s_round_open (import_t *imp, import_round_t *r, bool *down)
{
    json_t *targets = json_object_get (r->open, "targets");
    size_t i;
    json_t *t;
    json_array_foreach (targets, i, t) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, json_string_value (json_object_get (t, "unit")), &why);
        if (!u) {
            const ctl_csv_row_t line = { .line = (long) json_integer_value (json_object_get (t, "line")) };
            import_refuse (imp, F_TARGETS, &line, "被巡察单位 '%s': %s", json_string_value (json_object_get (t, "unit")), why);
            s_round_refused (imp, r);
            return;
        }
        json_object_set (t, "unit", json_object_get (u, "id"));
        json_object_del (t, "line");
    }
    const char *owner = json_string_value (json_object_get (r->open, "owner"));
    if (owner) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, owner, &why);
        if (!u) {
            import_refuse (imp, F_ROUNDS, r->row, "所属 '%s': %s", owner, why);
            s_round_refused (imp, r);
            return;
        }
        json_object_set (r->open, "owner", json_object_get (u, "id"));
    }
    json_t *res = s_send (imp, F_ROUNDS, r->row, "intake", "round.open", r->id, json_incref (r->open), down);
    if (!res) {
        s_round_refused (imp, r);
        return;
    }
    json_decref (res);
    imp->done[D_ROUNDS]++;
}

/*  Reports and classifies problem p (round opened, or none). */
static void
s_problem (import_t *imp, import_problem_t *p, bool *down)
{
    const char *why = NULL;
    const json_t *u = s_unit (imp, p->unit_text, &why);
    if (!u) {
        import_refuse (imp, F_PROBLEMS, p->row, "被巡察单位 '%s': %s", p->unit_text, why);
        p->ok = false;
        return;
    }
    snprintf (p->unit, sizeof p->unit, "%s", json_string_value (json_object_get (u, "id")));
    snprintf (p->unit_name, sizeof p->unit_name, "%s", json_string_value (json_object_get (u, "name")));
    json_object_set_new (p->report, "unit", json_string (p->unit));
    json_t *res = s_send (imp, F_PROBLEMS, p->row, "intake", "problem.report", p->no, json_incref (p->report), down);
    if (!res) {
        p->ok = false;
        return;
    }
    p->problem = json_integer_value (json_object_get (res, "problem"));
    json_decref (res);
    imp->done[D_PROBLEMS]++;
    if (json_array_size (p->dispositions) == 0)
        return;
    res = s_send (imp, F_PROBLEMS, p->row, "intake", "problem.classify", p->no,
                  json_pack ("{s:I, s:O, s:s}", "problem", p->problem, "dispositions", p->dispositions, "occurred_on",
                             p->classified_on),
                  down);
    if (!res) {
        p->ok = false;
        p->feedback = p->referred = false;
    }
    json_decref (res);
}

/*  Whether p's item is to be opened by rectify: fed back at once, or when its round reached
    反馈. */
static bool
s_fed_back (const import_t *imp, const import_problem_t *p)
{
    return p->ok && p->feedback
           && (!strcmp (p->timeliness, "immediate") || p->round < 0 || imp->rounds[p->round].n_stages > STAGE_FEEDBACK);
}

/*  How many return visits to record rectify does not know yet (it makes a round's visits when
    it applies the round's feedback). */
static int
s_visits_missing (import_t *imp, long *missing)
{
    *missing = 0;
    for (size_t r = 0; r < imp->n_rounds; r++) {
        bool wanted = false;
        for (size_t k = 0; k < imp->n_targets && !wanted; k++)
            wanted = imp->targets[k].round == (int) r && imp->targets[k].kinds;
        if (!wanted || !imp->rounds[r].ok)
            continue;
        int rc;
        json_t *round = ctl_call (imp->ctl, "rectify", "rectify.round", json_pack ("{s:s}", "round", imp->rounds[r].id),
                                  &rc, NULL);
        if (!round && rc != CTL_NOT_FOUND)
            return rc;
        for (size_t k = 0; k < imp->n_targets; k++) {
            import_target_t *t = &imp->targets[k];
            if (t->round != (int) r || !t->kinds)
                continue;
            const char *why;
            const json_t *u = s_unit (imp, t->unit, &why);
            bool known = false;
            size_t i;
            json_t *target;
            json_array_foreach (json_object_get (round, "targets"), i, target)
                known = known || (u && !strcmp (json_string_value (json_object_get (target, "unit")) ?: "",
                                                 json_string_value (json_object_get (u, "id")))
                                  && json_is_string (json_object_get (json_object_get (target, "visit"), "due")));
            *missing += !known;
        }
        json_decref (round);
    }
    return CTL_OK;
}

/*  Waits (bounded by wait_s) until rectify has an item for every problem fed back and referral
    a referral for every lead and handover; learns their ids. */
static int
s_wait_downstream (import_t *imp, int wait_s)
{
    for (int tries = 0;; tries++) {
        long missing_items = 0, missing_referrals = 0;
        int rc;
        json_t *items = ctl_list_all (imp->ctl, "rectify", "rectify.list", json_object (), &rc);
        if (!items)
            return rc;
        json_t *referrals = ctl_list_all (imp->ctl, "referral", "referral.list", json_object (), &rc);
        if (!referrals) {
            json_decref (items);
            return rc;
        }
        /* by problem id: one pass over each list, not one per problem */
        json_t *item_of = json_object (), *referral_of = json_object ();
        char key[32];
        size_t i;
        json_t *it;
        json_array_foreach (items, i, it) {
            snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (it, "problem")));
            json_object_set (item_of, key, json_object_get (it, "id"));
        }
        json_array_foreach (referrals, i, it)
            if (strcmp (json_string_value (json_object_get (it, "kind")) ?: "", "report") != 0
                && json_is_integer (json_object_get (it, "problem"))) {
                snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (it, "problem")));
                json_object_set (referral_of, key, json_object_get (it, "id"));
            }
        for (size_t k = 0; k < imp->n_problems; k++) {
            import_problem_t *p = &imp->problems[k];
            if (!p->problem)
                continue;
            snprintf (key, sizeof key, "%lld", (long long) p->problem);
            p->item = json_integer_value (json_object_get (item_of, key));
            p->referral = json_integer_value (json_object_get (referral_of, key));
            missing_items += s_fed_back (imp, p) && !p->item;
            missing_referrals += p->ok && p->referred && !p->referral;
        }
        json_decref (item_of);
        json_decref (referral_of);
        json_decref (items);
        json_decref (referrals);
        long missing_visits = 0;
        rc = s_visits_missing (imp, &missing_visits);
        if (rc != CTL_OK)
            return rc;
        if (!missing_items && !missing_referrals && !missing_visits)
            return CTL_OK;
        if (tries >= wait_s * 5) {
            fprintf (stderr, "xcctl: import round: after %d s, rectify has not opened %ld items nor %ld return visits"
                     " and referral has not made %ld referrals of what was recorded; is each consuming intake's events"
                     " (xcctl health)?\n", wait_s, missing_items, missing_visits, missing_referrals);
            return CTL_DOWN;
        }
        usleep (200 * 1000);
    }
}

/*  The unit's plan, claim and the office's sign-off, each on its own day. */
static void
s_rectify (import_t *imp, import_problem_t *p, bool *down)
{
    if (!p->item || (!p->due[0] && !p->done_on[0]))
        return;
    char what[128];
    json_t *item = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.get", p->no,
                           json_pack ("{s:I}", "item", p->item), down);
    if (!item)
        return;
    const char *opened_on = json_string_value (json_object_get (item, "opened_on"));
    const char *policy_due = NULL;
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get (item, "deadlines"), i, d)
        if (!strcmp (json_string_value (json_object_get (d, "deadline")) ?: "", "item"))
            policy_due = json_string_value (json_object_get (d, "due"));
    const char *state = json_string_value (json_object_get (item, "state"));
    bool immediate = !strcmp (p->timeliness, "immediate");
    char on[DATE_BUF];
    snprintf (on, sizeof on, "%s", opened_on ? opened_on : p->classified_on);
    /* the deadline the paper gives; the policy's, when it gives none */
    char due[DATE_BUF];
    snprintf (due, sizeof due, "%s", p->due[0] ? p->due : policy_due ? policy_due : p->done_on);
    if (p->due[0] && policy_due && strcmp (p->due, policy_due) > 0) {
        char reason[256];
        snprintf (reason, sizeof reason, "%s", p->extend_reason[0] ? p->extend_reason : "历史台账所载整改时限");
        json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.extend", p->no,
                            json_pack ("{s:I, s:s, s:s, s:s, s:s}", "item", p->item, "due", p->due, "reason", reason,
                                       "deadline", "item", "occurred_on", on),
                            down);
        if (!r) {
            json_decref (item);
            return;
        }
        json_decref (r);
    }
    /* an immediate item needs no plan, but one gives it the deadline the paper gives */
    if ((!immediate || p->due[0]) && state && !strcmp (state, "opened")) {
        json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.plan", p->no,
                            json_pack ("{s:I, s:[{s:s, s:s, s:s, s:s}], s:s}", "item", p->item, "measures", "text",
                                       p->measure[0] ? p->measure : json_string_value (json_object_get (p->report, "summary")),
                                       "owner", p->owner[0] ? p->owner : p->unit_name, "lead_leader",
                                       p->lead_leader[0] ? p->lead_leader : p->unit_name, "deadline", due, "occurred_on", on),
                            down);
        if (!r) {
            json_decref (item);
            return;
        }
        json_decref (r);
    }
    json_decref (item);
    if (!p->claim)
        return;
    json_t *claim = json_deep_copy (p->claim);
    json_object_set_new (claim, "item", json_integer (p->item));
    json_object_set_new (claim, "occurred_on", json_string (p->done_on));
    json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.claim", p->no, claim, down);
    if (!r)
        return;
    json_decref (r);
    snprintf (what, sizeof what, "%s", p->no);
    r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.review", what,
                json_pack ("{s:I, s:s, s:s}", "item", p->item, "decision", "accept", "occurred_on", p->closed_on), down);
    if (r)
        imp->done[D_ITEMS_CLOSED]++;
    json_decref (r);
}

/*  What the body did: acknowledged, disposed, its outcome with the people, concluded. */
static void
s_lead (import_t *imp, import_lead_t *l, bool *down)
{
    const import_problem_t *p = &imp->problems[l->problem];
    if (!p->ok || !p->referral) {
        import_refuse (imp, F_LEADS, l->row, "problem %s has no referral (its line in the problems file was refused)", p->no);
        return;
    }
    json_t *steps[4] = {
        json_pack ("{s:I, s:s}", "referral", p->referral, "occurred_on", l->ack_on),
        json_pack ("{s:I, s:s, s:s}", "referral", p->referral, "method", l->method, "occurred_on", l->dispose_on),
        NULL, NULL,
    };
    static const char *const types[4] = { "referral.acknowledge", "referral.dispose", "referral.outcome",
                                          "referral.conclude" };
    if (l->note[0])
        json_object_set_new (steps[1], "note", json_string (l->note));
    if (strcmp (l->method, "park") != 0) {
        steps[2] = json_pack ("{s:I, s:b, s:O, s:s}", "referral", p->referral, "case_filed", l->case_filed, "people",
                              l->people, "occurred_on", l->outcome_on);
        if (l->measures >= 0)
            json_object_set_new (steps[2], "institutional_measures", json_integer (l->measures));
        if (l->conclude_on[0])
            steps[3] = json_pack ("{s:I, s:s}", "referral", p->referral, "occurred_on", l->conclude_on);
    }
    bool ok = true;
    for (int s = 0; s < 4; s++) {
        if (!steps[s])
            continue;
        if (!ok || *down) {
            json_decref (steps[s]);
            continue;
        }
        json_t *r = s_send (imp, F_LEADS, l->row, "referral", types[s], p->no, steps[s], down);
        ok = r != NULL;
        json_decref (r);
    }
    if (ok) {
        imp->done[D_LEADS]++;
        imp->done[D_PEOPLE] += (long) json_array_size (l->people);
    }
}
/*  A report sent to its department, and the leader's sign-off. */
static void
s_report (import_t *imp, import_report_t *r, bool *down)
{
    const char *unit = json_string_value (json_object_get (r->create, "unit"));
    if (unit) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, unit, &why);
        if (!u) {
            import_refuse (imp, F_REPORTS, r->row, "被巡察单位 '%s': %s", unit, why);
            return;
        }
        json_object_set (r->create, "unit", json_object_get (u, "id"));
    }
    json_t *res = s_send (imp, F_REPORTS, r->row, "referral", "referral.create", r->no, json_incref (r->create), down);
    if (!res)
        return;
    json_int_t referral = json_integer_value (json_object_get (res, "referral"));
    json_decref (res);
    imp->done[D_REPORTS]++;
    if (!r->sign)
        return;
    json_t *sign = json_deep_copy (r->sign);
    json_object_set_new (sign, "referral", json_integer (referral));
    res = s_send (imp, F_REPORTS, r->row, "referral", "referral.sign", r->no, sign, down);
    imp->done[D_SIGNED] += res != NULL;
    json_decref (res);
}

/*  The office's return visit, evaluation and interview of a target unit. */
static void
s_target (import_t *imp, import_target_t *t, bool *down)
{
    const import_round_t *r = &imp->rounds[t->round];
    const char *why;
    const json_t *u = s_unit (imp, t->unit, &why);
    if (!u)
        return;                      /* named with its round */
    const char *unit = json_string_value (json_object_get (u, "id"));
    char what[160];
    snprintf (what, sizeof what, "%s|%s", r->id, unit);
    if (t->kinds) {
        json_t *res = s_send (imp, F_TARGETS, t->row, "rectify", "rectify.revisit", what,
                              json_pack ("{s:s, s:s, s:s, s:O}", "round", r->id, "unit", unit, "date", t->visit_on,
                                         "kinds", t->kinds),
                              down);
        imp->done[D_VISITS] += res != NULL;
        json_decref (res);
    }
    if (t->evaluate && !*down) {
        json_t *data = json_deep_copy (t->evaluate);
        json_object_set_new (data, "round", json_string (r->id));
        json_object_set_new (data, "unit", json_string (unit));
        json_t *res = s_send (imp, F_TARGETS, t->row, "rectify", "rectify.evaluate", what, data, down);
        imp->done[D_EVALUATIONS] += res != NULL;
        json_decref (res);
    }
    if (t->interview && !*down) {
        json_t *data = json_deep_copy (t->interview);
        json_object_set_new (data, "round", json_string (r->id));
        json_object_set_new (data, "unit", json_string (unit));
        json_t *res = s_send (imp, F_TARGETS, t->row, "rectify", "rectify.interview", what, data, down);
        imp->done[D_INTERVIEWS] += res != NULL;
        json_decref (res);
    }
}

static int
s_run (import_t *imp, int wait_s)
{
    int rc = s_units (imp);
    if (rc != CTL_OK)
        return rc;
    bool down = false;
    /* each round: opened, its stages up to 报告, its problems, then 反馈 and on (feedback
       reaches the problems classified for it, dated that day) */
    for (size_t r = 0; r < imp->n_rounds && !down; r++) {
        import_round_t *round = &imp->rounds[r];
        if (!round->ok)
            continue;
        s_round_open (imp, round, &down);
        s_round_advance (imp, round, 0, STAGE_FEEDBACK, &down);
        for (size_t k = 0; k < imp->n_problems && round->ok && !down; k++)
            if (imp->problems[k].ok && imp->problems[k].round == (int) r)
                s_problem (imp, &imp->problems[k], &down);
        s_round_advance (imp, round, STAGE_FEEDBACK, N_STAGES, &down);
    }
    for (size_t k = 0; k < imp->n_problems && !down; k++)
        if (imp->problems[k].ok && imp->problems[k].round < 0)
            s_problem (imp, &imp->problems[k], &down);
    if (down)
        return CTL_DOWN;
    rc = s_wait_downstream (imp, wait_s);
    if (rc != CTL_OK)
        return rc;
    for (size_t k = 0; k < imp->n_problems && !down; k++)
        if (imp->problems[k].ok && imp->problems[k].feedback) {
            if (imp->problems[k].claim && !imp->problems[k].item)
                import_refuse (imp, F_PROBLEMS, imp->problems[k].row, "完成时间 is given but the problem was not fed back"
                          " (its round has no 反馈 date)");
            else
                s_rectify (imp, &imp->problems[k], &down);
        }
    for (size_t k = 0; k < imp->n_leads && !down; k++)
        if (imp->leads[k].ok)
            s_lead (imp, &imp->leads[k], &down);
    for (size_t k = 0; k < imp->n_targets && !down; k++)
        if (imp->rounds[imp->targets[k].round].ok)
            s_target (imp, &imp->targets[k], &down);
    for (size_t k = 0; k < imp->n_reports && !down; k++) {
        const char *round = json_string_value (json_object_get (imp->reports[k].create, "round"));
        if (round && !imp->rounds[import_round_index (imp, round)].ok)
            import_refuse (imp, F_REPORTS, imp->reports[k].row, "round %s was not opened", round);
        else
            s_report (imp, &imp->reports[k], &down);
    }
    return down ? CTL_DOWN : CTL_OK;
}

int
ctl_import_round (ctl_t *ctl, int argc, char **argv)
{
    import_t imp = { .ctl = ctl };
    int wait_s = 60;
    for (int i = 0; i < argc; i++) {
        if (!strcmp (argv[i], "--check")) {
            imp.check = true;
            continue;
        }
        bool known = false;
        for (int f = 0; f < N_FILES && !known; f++)
            if (!strcmp (argv[i], import_file_option (f)) && i + 1 < argc) {
                imp.files[f].path = argv[++i];
                known = true;
            }
        if (!known && !strcmp (argv[i], "--wait") && i + 1 < argc) {
            wait_s = atoi (argv[++i]);
            known = wait_s > 0;
        }
        if (!known) {
            fprintf (stderr, "usage: xcctl import round --rounds 轮次.csv [--targets 被巡察单位.csv] [--problems 问题.csv]"
                             " [--leads 线索处置.csv] [--people 处理人员.csv] [--reports 专题报告.csv] [--check]"
                             " [--wait SECONDS]\n");
            return CTL_USAGE;
        }
    }
    if (!imp.files[F_ROUNDS].path) {
        fprintf (stderr, "xcctl: import round: --rounds FILE.csv is required (the rounds the other files name)\n");
        return CTL_USAGE;
    }
    xc_err_t err;
    if (intake_policy_load (&imp.categories, ctl->config, &err) != 0) {
        fprintf (stderr, "xcctl: import round: %s: %s\n", ctl->config->path, err.text);
        return CTL_LOCAL;
    }
    if (referral_policy_load (&imp.referral, ctl->config, &err) != 0) {
        fprintf (stderr, "xcctl: import round: %s: %s\n", ctl->config->path, err.text);
        return CTL_LOCAL;
    }
    imp.today = xc_date_of_time (xc_clock_wall (), ctl->config->utc_offset);
    int rc = import_load (&imp);
    if (rc == CTL_OK) {
        import_check (&imp);
        if (!imp.check) {
            rc = ctl_open (ctl);
            if (rc == CTL_OK)
                rc = s_run (&imp, wait_s);
        }
    }
    if (rc == CTL_OK || rc == CTL_REFUSED) {
        if (imp.check)
            printf ("%zu rounds, %zu problems, %zu leads, %zu reports read; %ld rows refused\n", imp.n_rounds,
                    imp.n_problems, imp.n_leads, imp.n_reports, imp.refused);
        else
            printf ("%ld rounds opened, %ld problems recorded, %ld items closed, %ld leads dealt with (%ld people),"
                    " %ld reports sent (%ld signed), %ld return visits, %ld evaluations, %ld interviews; %ld rows refused\n",
                    imp.done[D_ROUNDS], imp.done[D_PROBLEMS], imp.done[D_ITEMS_CLOSED], imp.done[D_LEADS],
                    imp.done[D_PEOPLE], imp.done[D_REPORTS], imp.done[D_SIGNED], imp.done[D_VISITS],
                    imp.done[D_EVALUATIONS], imp.done[D_INTERVIEWS], imp.refused);
        rc = imp.refused ? CTL_REFUSED : CTL_OK;
    }
    for (size_t r = 0; r < imp.n_rounds; r++)
        json_decref (imp.rounds[r].open);
    for (size_t k = 0; k < imp.n_problems + (imp.problems && imp.n_problems < imp.files[F_PROBLEMS].csv.n_rows); k++) {
        json_decref (imp.problems[k].report);
        json_decref (imp.problems[k].dispositions);
        json_decref (imp.problems[k].claim);
    }
    for (size_t k = 0; k < imp.n_leads + (imp.leads && imp.n_leads < imp.files[F_LEADS].csv.n_rows); k++)
        json_decref (imp.leads[k].people);
    free (imp.rounds);
    free (imp.problems);
    free (imp.leads);
    for (size_t k = 0; k < imp.n_reports + (imp.reports && imp.n_reports < imp.files[F_REPORTS].csv.n_rows); k++) {
        json_decref (imp.reports[k].create);
        json_decref (imp.reports[k].sign);
    }
    free (imp.reports);
    for (size_t k = 0; k < imp.n_targets; k++) {
        json_decref (imp.targets[k].kinds);
        json_decref (imp.targets[k].interview);
        json_decref (imp.targets[k].evaluate);
    }
    free (imp.targets);
    json_decref (imp.units);
    referral_policy_free (&imp.referral);
    for (int f = 0; f < N_FILES; f++)
        if (imp.files[f].loaded)
            ctl_csv_free (&imp.files[f].csv);
    return rc;
}

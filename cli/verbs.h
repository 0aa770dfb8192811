/*  verbs.h: the table of every command and query xcctl sends (verbs.c). */
#ifndef XC_CTL_VERBS_H
#define XC_CTL_VERBS_H

#include <jansson.h>
#include <stdio.h>

#include "cli/ctl.h"

typedef struct {
    const char *type;                /* "unit.register": xcctl unit register */
    const char *service;
    const char *args;                /* a synopsis for --help */
    const char *help;
} ctl_verb_t;

const ctl_verb_t *ctl_verb_find (const char *type);
/*  Lists the verbs (of noun, with their arguments; every verb when noun is NULL). */
void ctl_verbs_help (FILE *out, const char *noun);
/*  The distinct nouns of the table, in order, and the verbs of noun (borrowed strings). */
size_t ctl_verb_nouns (const char **nouns, size_t max);
size_t ctl_verb_verbs (const char *noun, const char **verbs, size_t max);
/*  The data object of "--member value" pairs and --file (caller owns), or NULL after printing
    why. */
json_t *ctl_args_data (int argc, char **argv);
/*  xcctl NOUN VERB ARGS, before the deployment is read: the verb known, its options checked
    against its synopsis (an unknown one, a missing required one or a malformed value is
    CTL_USAGE, printed). CTL_OK with *data_p (caller owns) to send, or with *data_p NULL when
    --help was answered. */
int ctl_verb_prepare (const char *noun, const char *verb, int argc, char **argv, json_t **data_p);
/*  Sends NOUN.VERB with data (stolen) and prints the answer; an exit code. */
int ctl_verb_run (ctl_t *ctl, const char *noun, const char *verb, json_t *data);

#endif

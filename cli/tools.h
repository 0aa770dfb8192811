/*  tools.h: xcctl's commands beyond a service's own verbs; each returns an exit code (ctl.h)
    and takes the words after its name. */
#ifndef XC_CTL_TOOLS_H
#define XC_CTL_TOOLS_H

#include "cli/ctl.h"

/* events.c */
int ctl_events (ctl_t *ctl, int argc, char **argv);     /* SERVICE [--after N] [--follow] */
int ctl_audit (ctl_t *ctl, int argc, char **argv);      /* verify [SERVICE ...] */

/* evidence.c */
int ctl_file (ctl_t *ctl, int argc, char **argv);       /* put --service S FILE | get --service S --sha256 H --out FILE */
/*  file.check on service when it keeps files: the failures (each printed and added to
    report's "failures"; its row of report's "services" gets "files", and FAILED when any);
    *call_rc CTL_DOWN when it did not answer. */
int ctl_audit_files (ctl_t *ctl, const char *service, json_t *report, int *call_rc);

/* keys.c */
int ctl_keys (ctl_t *ctl, int argc, char **argv);       /* export [--out FILE]: the services' public keys */

/* report.c */
int ctl_stats (ctl_t *ctl, int argc, char **argv);      /* one report across the services */
/*  The filters of xcctl stats ([--round R] [--owner O] [--year Y] [--kind K] [--mode M]
    [--category C] [--unit-level L]) as the stats queries' data (caller owns), or CTL_USAGE
    after saying which value is wrong. */
int ctl_stats_filters (int argc, char **argv, json_t **filters_p);

/* rules.c */
int ctl_rules (ctl_t *ctl, int argc, char **argv);      /* [--district D]: the rules in effect and why */

/* files.c */
int ctl_export (ctl_t *ctl, int argc, char **argv);     /* LIST [--round R] [--unit U] [--target ISS] --out FILE */
int ctl_import (ctl_t *ctl, int argc, char **argv);     /* units FILE.csv | round --rounds FILE ... */

/* import.c */
int ctl_import_round (ctl_t *ctl, int argc, char **argv);   /* the words after "import round" */

/* principals.c */
int ctl_keygen (ctl_t *ctl, int argc, char **argv);     /* --out FILE [--kid KID] [--curve] */
int ctl_principal (ctl_t *ctl, int argc, char **argv);  /* add | list | revoke */
/*  A time given for option: RFC 3339, or a date meaning the deployment's local midnight at the
    start of that day. -1 after saying what is wrong. */
int ctl_time (const ctl_t *ctl, const char *option, const char *text, int64_t *t);
/*  enroll.c: principal invite | pending | approve | reject, through the registry service. */
int ctl_enrollment (ctl_t *ctl, int argc, char **argv);
/*  Takes the registry writers' lock (common/registry_file.h), saying why not: the descriptor,
    or -1. Release with xc_registry_unlock. */
int ctl_registry_lock (const ctl_t *ctl);
/*  Makes sure iss (role, scope) is registered with the key at key_path (made when missing) and
    loads that key into *key. */
int ctl_principal_ensure (ctl_t *ctl, const char *iss, const char *role, const json_t *scope, const char *key_path,
                          xc_key_t *key);

/* qr.c */
int ctl_qr (ctl_t *ctl, int argc, char **argv);         /* --round R [--unit U] [--format F] --out FILE */

/* simulate.c */
int ctl_simulate (ctl_t *ctl, int argc, char **argv);   /* --profile NAME */

/* search.c */
int ctl_search (ctl_t *ctl, int argc, char **argv);     /* [--in LIST] [filters] WORDS...: the three searches */

/* repeats.c */
int ctl_repeats (ctl_t *ctl, int argc, char **argv);    /* PROBLEM | [--round R] [--unit U] [--state S] */
int ctl_repeat (ctl_t *ctl, int argc, char **argv);     /* confirm|dismiss PROBLEM OF [--note T] */

/* ranking.c */
int ctl_ranking (ctl_t *ctl, int argc, char **argv);    /* --year Y | --round R [--district D] [--csv] */
int ctl_lookback (ctl_t *ctl, int argc, char **argv);   /* ROUND: a lookback round's prior items */

#endif

#!/usr/bin/env bash
# The demo `make run` loads into empty stores, through xcctl like any client, telling the source
# document's story (../shared/seeds, 十二届市委巡察工作纪事):
# - the 十二届 committee's rounds, loaded by the office from its paper records with the dates
#   they happened (--occurred-on): the city's first round (2017), where the sports school's
#   dangerous dormitory is rebuilt and the First People's Hospital's idle No. 2 building is put
#   to use, both signed off on time; a rail-transit lead that ends in a case, a detention and a
#   transfer to the prosecutors; a 专题报告 signed by a city leader; the rail group's 一把手
#   interviewed (约谈) after a low rectification score; every target's return visit (回访);
# - 武进区委's 专项治理 of the villages' receivables (村级应收款) over three villages, which
#   recover 9657万元 and write off 1261万元 between them; then the city's 提级巡察回头看;
# - today's round (十四届市委第一轮巡察): the passenger terminal's item closed on time by the
#   unit itself, and the Beijiao senior high school's item overdue;
# - the second level: 武进区委巡察办, a district office (role district, its own principal), runs
#   its district's round today: its town's 立行立改 item, due by the district's own rule
#   (policies.rectify.districts.WJ: 10 days), is overdue; its notices go to the district office.
# `xcctl stats` then shows the on-time rate those dates make (6 of 8 due).
# Usage: tools/demo.sh CONFIG
# XCCTL names the xcctl to use (the image sets it); XC_DEMO_KEYS the folder for the demo
# principals' keys (default: keys/ beside the config).
set -eu
config=$1
root=$(cd "$(dirname "$0")/.." && pwd)
xcctl=${XCCTL:-$root/build/bin/xcctl}
keys=${XC_DEMO_KEYS:-$(dirname "$config")/keys}
mkdir -p "$keys"
curve=0
grep -q '"curve": *true' "$config" && curve=1
x() { "$xcctl" --config "$config" "$@"; }
as() { local who=$1; shift; "$xcctl" --config "$config" --key "$keys/demo-$who.jwk" "$@"; }
day() { date -d "$1 days" +%F; }
num() { grep -o "\"$1\": [0-9]*" | head -1 | grep -o '[0-9]*$'; }

# the principals of today's round: an inspection team, two units; 武进区委巡察办
principal() {   # iss role scope (for role district: the district's unit id); with curve on, each also gets a CURVE keypair
  local key="$keys/demo-$1.jwk" with_curve=() scope=(--scope "$3")
  [ "$2" = district ] && scope=(--district "$3")
  [ "$curve" = 1 ] && with_curve=(--curve)
  [ -f "$key" ] || x keygen --out "$key" --kid "$1#demo" "${with_curve[@]}" >/dev/null
  [ "$curve" = 1 ] && with_curve=(--curve "$(sed -n 's/.*"public": *"\([^"]*\)".*/\1/p' "$key.curve")")
  x principal list --json | grep -q "\"iss\": \"$1\"" || x principal add --iss "$1" --role "$2" --public "$key.pub" "${scope[@]}" "${with_curve[@]}" >/dev/null
}
principal team-1 team '{}'
principal beijiao unit '{"units": ["CZ-BEIJIAO"]}'
principal passenger unit '{"units": ["CZ-PASSENGER"]}'
principal district-wj district WJ
sleep 1.5     # the services reload the registry within a second

x unit register --id CZ-SPORTS-SCHOOL --name 市体育运动学校 --level school >/dev/null
x unit register --id CZ-HOSPITAL-1 --name 市第一人民医院 --level hospital >/dev/null
x unit register --id CZ-RAIL --name 市轨道交通集团 --level soe >/dev/null
x unit register --id CZ-BEIJIAO --name 北郊高级中学 --level school >/dev/null
x unit register --id CZ-PASSENGER --name 市客运中心 --level soe >/dev/null
x unit register --id WJ --name 武进区 --level district >/dev/null
x unit register --id WJ-HUTANG --name 湖塘镇 --level town --parent WJ >/dev/null
x unit register --id WJ-LIUSHU --name 柳树村 --level village --parent WJ-HUTANG >/dev/null
x unit register --id WJ-YANGHE --name 杨河村 --level village --parent WJ-HUTANG >/dev/null
x unit register --id WJ-DONGAN --name 东安村 --level village --parent WJ-HUTANG >/dev/null

stages() {   # round stationed withdrawn reported feedback_delivered
  x round advance --round "$1" --stage stationed --date "$2" >/dev/null
  x round advance --round "$1" --stage withdrawn --date "$3" >/dev/null
  x round advance --round "$1" --stage reported --date "$4" >/dev/null
  x round advance --round "$1" --stage feedback_delivered --date "$5" >/dev/null
}
# a problem from the office's records: round unit category date summary detail -> problem id
recorded() {
  x problem report --round "$1" --unit "$2" --category "$3" --occurred-on "$4" --summary "$5" --detail "$6" \
    --severity serious --source inspection_team --json | num problem
}
feedback() {   # problem date
  x problem classify --problem "$1" --dispositions '[{"kind": "feedback", "timeliness": "deadline"}]' \
    --occurred-on "$2" >/dev/null
}
item_of() {   # round unit -> its item, once rectify has opened it (within 60 s: a loaded
  local until=$((SECONDS + 60))   # machine, CURVE handshakes per call; 100 tries were too few in CI)
  while [ "$SECONDS" -lt "$until" ]; do
    local id; id=$(x rectify list --round "$1" --unit "$2" --json | num id || true)
    [ -n "$id" ] && { echo "$id"; return; }
    sleep 0.1
  done
  echo "demo: rectify opened no item for $2 in $1 within 60 s" >&2; return 1
}
revisit() {   # round unit date kinds; rectify makes the visit from intake's round.advanced: until it has
  local until=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$until" ]; do
    x rectify revisit --round "$1" --unit "$2" --date "$3" --kinds "$4" >/dev/null 2>&1 && return
    sleep 0.1
  done
  x rectify revisit --round "$1" --unit "$2" --date "$3" --kinds "$4" >/dev/null
}
evidence='[{"file": "验收报告.pdf", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]'
# a whole rectification from the records: round unit measure deadline planned claimed accepted outcomes
rectified() {
  local i; i=$(item_of "$1" "$2")
  x rectify plan --item "$i" --occurred-on "$5" \
    --measures "[{\"text\": \"$3\", \"owner\": \"整改责任人\", \"lead_leader\": \"分管领导\", \"deadline\": \"$4\"}]" >/dev/null
  x rectify claim --item "$i" --completion completed --evidence "$evidence" --outcomes "$8" --occurred-on "$6" >/dev/null
  x rectify review --item "$i" --decision accept --occurred-on "$7" >/dev/null
}

# ---- 十二届市委第一轮巡察 (2017) -------------------------------------------------------------
x round open --id R12-1 --name "十二届市委第一轮巡察" --kind regular --team 市委第一巡察组 \
  --targets '[{"unit": "CZ-SPORTS-SCHOOL", "coverage": "main"}, {"unit": "CZ-HOSPITAL-1", "coverage": "main"},
              {"unit": "CZ-RAIL", "coverage": "main"}]' \
  --planned-start 2017-03-06 --planned-end 2017-04-07 --date 2017-02-20 >/dev/null
x round advance --round R12-1 --stage stationed --date 2017-03-06 >/dev/null
dorm=$(recorded R12-1 CZ-SPORTS-SCHOOL livelihood 2017-03-15 "学生宿舍楼属危房仍在使用" \
  "市体育运动学校学生宿舍楼经鉴定为危房，学生仍在居住，存在重大安全隐患。")
idle=$(recorded R12-1 CZ-HOSPITAL-1 livelihood 2017-03-20 "2号楼长期闲置" "市第一人民医院2号楼建成后长期闲置，未发挥效益。")
rail=$(recorded R12-1 CZ-RAIL governance 2017-03-28 "轨道交通集团负责人涉嫌受贿" \
  "反映市轨道交通集团董事长、总经理夏某利用职务便利收受他人财物。")
feedback "$dorm" 2017-04-12
feedback "$idle" 2017-04-12
x problem classify --problem "$rail" --dispositions '[{"kind": "lead", "body": "市纪委监委"}]' \
  --occurred-on 2017-04-10 >/dev/null
x round advance --round R12-1 --stage withdrawn --date 2017-04-07 >/dev/null
x round advance --round R12-1 --stage reported --date 2017-04-20 >/dev/null
x round advance --round R12-1 --stage feedback_delivered --date 2017-05-05 >/dev/null

# the dormitory rebuilt, the idle building made a rehabilitation ward: both claimed before their deadline
rectified R12-1 CZ-SPORTS-SCHOOL "学生全部搬离危房，宿舍楼拆除重建" 2017-07-05 2017-05-10 2017-06-26 2017-06-30 \
  '{"institutional_measures": 2, "public_concern_resolved": true}'
rectified R12-1 CZ-HOSPITAL-1 "2号楼改造为康复病区并投入使用" 2017-07-05 2017-05-10 2017-07-03 2017-07-07 \
  '{"institutional_measures": 1, "public_concern_resolved": true}'

# the rail-transit lead: referral takes it from intake's events (up to 60 s while a consumer starts)
until=$((SECONDS + 60))
while [ "$SECONDS" -lt "$until" ]; do
  ref=$(x referral list --kind lead --json | num id || true)
  [ -n "$ref" ] && break
  sleep 0.1
done
x referral acknowledge --referral "$ref" --occurred-on 2017-04-12 >/dev/null
x referral dispose --referral "$ref" --method preliminary_verification --occurred-on 2017-04-20 >/dev/null
x referral outcome --referral "$ref" --case-filed true --occurred-on 2017-09-15 \
  --people '[{"form": 4, "party_sanction": "expulsion", "administrative_sanction": "dismissal",
              "organizational_handling": null, "detained": true, "prosecuted": true}]' \
  --note "夏某被立案审查调查并采取留置措施，开除党籍、撤职，移送检察机关" >/dev/null
x referral conclude --referral "$ref" --occurred-on 2017-10-10 >/dev/null

# a 专题报告 to the health commission, signed by a city leader before it goes
report=$(x referral create --kind report --target 市卫健委 --occurred-on 2017-05-08 \
  --round R12-1 --unit CZ-HOSPITAL-1 --category livelihood \
  --title "关于全市公立医院闲置资产问题的专题报告" --detail "巡察发现部分公立医院房屋长期闲置，建议全面清查、统筹利用。" \
  --json | num referral)
x referral sign --referral "$report" --leader '{"name": "市领导", "title": "分管副市长"}' --occurred-on 2017-05-09 >/dev/null
# the commission's answer, recorded by the office: the idle assets surveyed, three rules made
x referral acknowledge --referral "$report" --occurred-on 2017-05-12 >/dev/null
x referral dispose --referral "$report" --method close --note "全市公立医院闲置房产清查完毕" --occurred-on 2017-06-09 >/dev/null
x referral outcome --referral "$report" --case-filed false --institutional-measures 3 --occurred-on 2017-06-20 \
  --note "出台公立医院国有资产管理等制度3项" >/dev/null
x referral conclude --referral "$report" --occurred-on 2017-06-23 >/dev/null

# every target's return visit, the rail group's included (it had a lead, no item)
for unit in CZ-SPORTS-SCHOOL CZ-HOSPITAL-1 CZ-RAIL; do
  revisit R12-1 "$unit" 2017-08-10 '["return_visit"]'
done
# the rectification evaluated: the rail group scores low (约谈 recommended), its 一把手 interviewed
x rectify evaluate --round R12-1 --unit CZ-SPORTS-SCHOOL --occurred-on 2017-09-20 \
  --parts '{"leadership": 95, "responsibility": 90, "task_completion": 95, "satisfaction": 90}' \
  --principal-leader '{"name": "刘某", "title": "党委书记、校长"}' >/dev/null
x rectify evaluate --round R12-1 --unit CZ-HOSPITAL-1 --occurred-on 2017-09-20 \
  --parts '{"leadership": 90, "responsibility": 85, "task_completion": 88, "satisfaction": 85}' \
  --principal-leader '{"name": "张某", "title": "党委书记"}' >/dev/null
x rectify evaluate --round R12-1 --unit CZ-RAIL --occurred-on 2017-09-20 \
  --parts '{"leadership": 50, "responsibility": 50, "task_completion": 45, "satisfaction": 60}' \
  --principal-leader '{"name": "周某", "title": "党委书记、董事长"}' >/dev/null
x rectify interview --round R12-1 --unit CZ-RAIL --occurred-on 2017-09-28 --by 市委巡察工作领导小组 \
  --interviewee '{"name": "周某", "title": "党委书记、董事长"}' --note "综合整改评估分值偏低，约谈一把手" >/dev/null

# ---- 武进区委: the villages' receivables (2018), a 专项治理 --------------------------------------
x round open --id R12-WJ --name "武进区委村级应收款专项巡察" --kind special --owner WJ --theme 村级应收款专项治理 \
  --team 武进区委巡察组 --targets '[{"unit": "WJ-LIUSHU", "coverage": "main"}, {"unit": "WJ-YANGHE", "coverage": "main"},
                                  {"unit": "WJ-DONGAN", "coverage": "main"}]' \
  --planned-start 2018-03-12 --planned-end 2018-04-13 --date 2018-03-01 >/dev/null
x round advance --round R12-WJ --stage stationed --date 2018-03-12 >/dev/null
for unit in WJ-LIUSHU WJ-YANGHE WJ-DONGAN; do
  p=$(recorded R12-WJ "$unit" receivables 2018-03-20 "村级应收款挂账严重" "村级应收款长期挂账，清收不力。")
  feedback "$p" 2018-04-16
done
x round advance --round R12-WJ --stage withdrawn --date 2018-04-13 >/dev/null
x round advance --round R12-WJ --stage reported --date 2018-04-25 >/dev/null
x round advance --round R12-WJ --stage feedback_delivered --date 2018-05-10 >/dev/null
# 清缴 4000 + 3500 + 2157 = 9657万元, 核销 500 + 461 + 300 = 1261万元 (in fen)
rectified R12-WJ WJ-LIUSHU "开展村级应收款专项清收" 2018-07-10 2018-05-15 2018-07-02 2018-07-06 \
  '{"institutional_measures": 3, "money_recovered_fen": 4000000000, "money_written_off_fen": 500000000}'
rectified R12-WJ WJ-YANGHE "开展村级应收款专项清收" 2018-07-10 2018-05-15 2018-07-04 2018-07-06 \
  '{"institutional_measures": 2, "money_recovered_fen": 3500000000, "money_written_off_fen": 461000000}'
rectified R12-WJ WJ-DONGAN "开展村级应收款专项清收" 2018-07-10 2018-05-15 2018-07-05 2018-07-09 \
  '{"institutional_measures": 2, "money_recovered_fen": 2157000000, "money_written_off_fen": 300000000}'
for unit in WJ-LIUSHU WJ-YANGHE WJ-DONGAN; do
  revisit R12-WJ "$unit" 2018-08-15 '["return_visit", "special_check"]'
done

# ---- the city's 提级巡察回头看 of the first village (2019) --------------------------------------
x round open --id R12-LB --name "十二届市委提级巡察回头看" --kind lookback --prior-round R12-WJ --modes '["elevated"]' \
  --team 市委第三巡察组 --targets '[{"unit": "WJ-LIUSHU", "coverage": "main"}]' \
  --planned-start 2019-05-13 --planned-end 2019-06-14 --date 2019-05-06 >/dev/null
stages R12-LB 2019-05-13 2019-06-14 2019-06-24 2019-07-08
revisit R12-LB WJ-LIUSHU 2019-10-15 '["return_visit"]'

# ---- today's round: 十四届市委第一轮巡察, fed back 25 days ago ----------------------------------
x round open --id R-DEMO-1 --name "十四届市委第一轮巡察" --kind regular --team team-1 \
  --targets '[{"unit": "CZ-BEIJIAO", "coverage": "main"}, {"unit": "CZ-PASSENGER", "coverage": "main"},
              {"unit": "WJ-LIUSHU", "coverage": "extended"}]' \
  --planned-start "$(day -60)" --planned-end "$(day -29)" --date "$(day -70)" >/dev/null
x round advance --round R-DEMO-1 --stage stationed --date "$(day -60)" >/dev/null
bath=$(recorded R-DEMO-1 CZ-BEIJIAO livelihood "$(day -45)" "寄宿生洗澡难" "北郊高级中学寄宿生浴室不足，学生洗澡排长队。")
toilet=$(recorded R-DEMO-1 CZ-PASSENGER livelihood "$(day -40)" "“的哥”如厕难" "客运中心周边出租车驾驶员如厕难，群众反映强烈。")
feedback "$bath" "$(day -29)"
feedback "$toilet" "$(day -29)"
x round advance --round R-DEMO-1 --stage withdrawn --date "$(day -29)" >/dev/null
x round advance --round R-DEMO-1 --stage reported --date "$(day -28)" >/dev/null
x round advance --round R-DEMO-1 --stage feedback_delivered --date "$(day -25)" >/dev/null

# the passenger terminal plans and claims itself, today, before its deadline; the office accepts
i=$(item_of R-DEMO-1 CZ-PASSENGER)
as passenger rectify plan --item "$i" --measures "[{\"text\": \"增设司机驿站和公厕\", \"owner\": \"综合办 孙丽\", \"lead_leader\": \"副主任 吴刚\", \"deadline\": \"$(day 20)\"}]" >/dev/null
as passenger rectify claim --item "$i" --completion completed --evidence "$evidence" \
  --outcomes '{"institutional_measures": 1, "public_concern_resolved": true}' >/dev/null
x rectify review --item "$i" --decision accept >/dev/null
# the school's measure was due the day after feedback and is not done: overdue for 24 days
i=$(item_of R-DEMO-1 CZ-BEIJIAO)
as beijiao rectify plan --item "$i" --measures "[{\"text\": \"新建学生浴室，延长开放时间\", \"owner\": \"后勤处 陈红\", \"lead_leader\": \"副校长 李明\", \"deadline\": \"$(day -24)\"}]" >/dev/null

# ---- 武进区委第一轮巡察 today, run by the district's own office (区县巡察办) ---------------------
# the office opens, advances and classifies; the team's finding is recorded by the city office
wj() { as district-wj "$@"; }
wj round open --id R-WJ-1 --name "十四届武进区委第一轮巡察" --kind regular --team 武进区委第一巡察组 \
  --targets '[{"unit": "WJ-HUTANG", "coverage": "main"}]' \
  --planned-start "$(day -60)" --planned-end "$(day -29)" --date "$(day -70)" >/dev/null
wj round advance --round R-WJ-1 --stage stationed --date "$(day -60)" >/dev/null
road=$(x problem report --round R-WJ-1 --unit WJ-HUTANG --category livelihood --occurred-on "$(day -50)" \
  --summary "村道破损影响群众出行" --detail "湖塘镇部分村道破损严重，雨天积水，群众出行不便。" --severity general \
  --source inspection_team --immediate true --json | num problem)
# classified as it was, before the feedback (intake's history_roles include district here)
wj problem classify --problem "$road" --dispositions '[{"kind": "feedback", "timeliness": "immediate"}]' \
  --occurred-on "$(day -29)" >/dev/null
wj round advance --round R-WJ-1 --stage withdrawn --date "$(day -29)" >/dev/null
wj round advance --round R-WJ-1 --stage reported --date "$(day -28)" >/dev/null
wj round advance --round R-WJ-1 --stage feedback_delivered --date "$(day -25)" >/dev/null
item_of R-WJ-1 WJ-HUTANG >/dev/null     # 立行立改, due 10 days after feedback by the district's rule: overdue

sleep 1       # the timers and notify catch up
x stats
echo
x rectify list
echo "demo: the office's notices: xcctl --config $config notify read"
echo "demo: 武进区委巡察办 (a district office): xcctl --config $config --key $keys/demo-district-wj.jwk rectify list"

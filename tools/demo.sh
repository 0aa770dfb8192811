#!/usr/bin/env bash
# The demo `make run` loads into empty stores, through xcctl like any client, drawn from the
# source document (../shared/seeds): the sports school's dangerous dormitory, the idle No. 2
# building of the First People's Hospital, the villages' receivables (清缴9657万元, 核销1261万元),
# a rail-transit lead that ends in a case and a detention, and an item that goes overdue and
# escalates. Usage: tools/demo.sh CONFIG
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

# the principals the demo acts as: an inspection team, three units, the discipline commission
principal() {   # iss role scope; with curve on, each also gets a CURVE keypair
  local key="$keys/demo-$1.jwk" with_curve=()
  [ "$curve" = 1 ] && with_curve=(--curve)
  [ -f "$key" ] || x keygen --out "$key" --kid "$1#demo" "${with_curve[@]}" >/dev/null
  [ "$curve" = 1 ] && with_curve=(--curve "$(sed -n 's/.*"public": *"\([^"]*\)".*/\1/p' "$key.curve")")
  x principal list --json | grep -q "\"iss\": \"$1\"" || x principal add --iss "$1" --role "$2" --public "$key.pub" --scope "$3" "${with_curve[@]}" >/dev/null
}
principal team-1 team '{}'
principal sports-school unit '{"units": ["CZ-SPORTS-SCHOOL"]}'
principal first-hospital unit '{"units": ["CZ-HOSPITAL-1"]}'
principal receivables-village unit '{"units": ["WJ-LIUSHU"]}'
principal discipline-commission discipline '{"units": ["*"]}'
sleep 1.5     # the services reload the registry within a second

x unit register --id CZ-SPORTS-SCHOOL --name 市体育运动学校 --level school >/dev/null
x unit register --id CZ-HOSPITAL-1 --name 市第一人民医院 --level hospital >/dev/null
x unit register --id CZ-RAIL --name 市轨道交通集团 --level soe >/dev/null
x unit register --id WJ --name 武进区 --level district >/dev/null
x unit register --id WJ-HUTANG --name 湖塘镇 --level town --parent WJ >/dev/null
x unit register --id WJ-LIUSHU --name 柳树村 --level village --parent WJ-HUTANG >/dev/null

# a round fed back 25 days ago (2017 rules: plans due in 5 days, reports in about 36), its
# report made within the 30 days intake allows after the withdrawal
x round open --id R-DEMO-1 --name "十四届市委第一轮巡察" --kind regular --team team-1 \
  --targets '[{"unit": "CZ-SPORTS-SCHOOL", "coverage": "main"}, {"unit": "CZ-HOSPITAL-1", "coverage": "main"},
              {"unit": "CZ-RAIL", "coverage": "main"}, {"unit": "WJ-LIUSHU", "coverage": "extended"}]' \
  --planned-start "$(day -60)" --planned-end "$(day -29)" --date "$(day -70)" >/dev/null
x round advance --round R-DEMO-1 --stage stationed --date "$(day -60)" >/dev/null
x round advance --round R-DEMO-1 --stage withdrawn --date "$(day -29)" >/dev/null

report() {   # unit category summary detail -> problem id
  as team-1 problem report --round R-DEMO-1 --unit "$1" --category "$2" --summary "$3" --detail "$4" \
    --severity serious --source inspection_team --json | num problem
}
dorm=$(report CZ-SPORTS-SCHOOL public_concerns "学生宿舍楼属危房仍在使用" "市体育运动学校学生宿舍楼经鉴定为危房，学生仍在居住，存在重大安全隐患。")
idle=$(report CZ-HOSPITAL-1 public_concerns "2号楼长期闲置" "市第一人民医院2号楼建成后长期闲置，未发挥效益。")
recv=$(report WJ-LIUSHU rectification "村级应收款挂账严重" "村级应收款长期挂账，清收不力。")
rail=$(report CZ-RAIL governance "轨道交通集团负责人涉嫌受贿" "反映市轨道交通集团董事长、总经理夏某利用职务便利收受他人财物。")
for p in "$dorm" "$idle" "$recv"; do
  x problem classify --problem "$p" --dispositions '[{"kind": "feedback", "timeliness": "deadline"}]' >/dev/null
done
x problem classify --problem "$rail" --dispositions '[{"kind": "lead", "body": "discipline-commission"}]' >/dev/null
x round advance --round R-DEMO-1 --stage reported --date "$(day -28)" >/dev/null
x round advance --round R-DEMO-1 --stage feedback_delivered --date "$(day -25)" >/dev/null

item_of() {   # unit -> its item, once rectify has opened it
  for _ in $(seq 1 50); do
    local id; id=$(x rectify list --unit "$1" --json | num id || true)
    [ -n "$id" ] && { echo "$id"; return; }
    sleep 0.1
  done
  echo "demo: rectify opened no item for $1" >&2; return 1
}
evidence='[{"file": "验收报告.pdf", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]'

# the dormitory: rebuilt and signed off in time
i=$(item_of CZ-SPORTS-SCHOOL)
as sports-school rectify plan --item "$i" --measures "[{\"text\": \"学生全部搬离危房，宿舍楼拆除重建\", \"owner\": \"后勤处 王建国\", \"lead_leader\": \"副校长 赵敏\", \"deadline\": \"$(day 20)\"}]" >/dev/null
as sports-school rectify claim --item "$i" --completion completed --evidence "$evidence" \
  --outcomes '{"institutional_measures": 2, "public_concern_resolved": true}' >/dev/null
x rectify review --item "$i" --decision accept >/dev/null

# the villages' receivables: recovered and written off, signed off
i=$(item_of WJ-LIUSHU)
as receivables-village rectify plan --item "$i" --measures "[{\"text\": \"开展村级应收款专项清收\", \"owner\": \"村会计 周强\", \"lead_leader\": \"村党总支书记 钱立\", \"deadline\": \"$(day 25)\"}]" >/dev/null
as receivables-village rectify claim --item "$i" --completion completed --evidence "$evidence" \
  --outcomes '{"institutional_measures": 3, "money_recovered_fen": 9657000000, "money_written_off_fen": 1261000000}' >/dev/null
x rectify review --item "$i" --decision accept >/dev/null

# the hospital's idle building: its measure was due the day after feedback and is not done:
# overdue for 24 days, three steps up the ladder
i=$(item_of CZ-HOSPITAL-1)
as first-hospital rectify plan --item "$i" --measures "[{\"text\": \"2号楼改造为康复病区\", \"owner\": \"基建科 陈红\", \"lead_leader\": \"副院长 李明\", \"deadline\": \"$(day -24)\"}]" >/dev/null

# the rail-transit lead: a case, a detention
# referral takes it from intake's events: up to 30 s (a consumer backs off while it starts)
for _ in $(seq 1 300); do
  ref=$(as discipline-commission referral list --kind lead --json | num id || true)
  [ -n "$ref" ] && break
  sleep 0.1
done
as discipline-commission referral acknowledge --referral "$ref" >/dev/null
as discipline-commission referral dispose --referral "$ref" --method preliminary_verification >/dev/null
as discipline-commission referral outcome --referral "$ref" --case-filed true --party-sanctions 1 \
  --administrative-sanctions 1 --organizational-handling 0 --detentions 1 --prosecution-transfers 1 \
  --note "夏某被立案审查调查并采取留置措施" >/dev/null
as discipline-commission referral conclude --referral "$ref" >/dev/null

sleep 1       # the timers and notify catch up
x stats
echo
x rectify list
echo "demo: the office's notices: xcctl --config $config notify read"

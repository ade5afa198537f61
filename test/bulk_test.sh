#!/bin/sh
# bulk_test - bulk(8) against a real PostgreSQL, with Postfix's smtp-sink
# as the relay: what reaches the relay is read back from the sink's dump,
# what bulk recorded from the database.
#
#	BIN=build/bin sh test/bulk_test.sh	(needs HERALD_TEST_DATABASE, smtp-sink)
#
#  1. a post to a 50-member list over five domains: every member once,
#     the list's fields, a tokened return path (bounce_tokens), every row
#     sent, every packet done
#  2. verp_rate 100%: one transaction per member, its return path naming
#     the member
#  3. one-click for one domain of the limits file: personal
#     List-Unsubscribe URLs there, one transaction each, signed again
#     (opendkim verifies them); the other domains grouped, mailto only
#  4. the limits file's nrcpt and single; concurrency (through the
#     sendmail transport, where a run's overlap can be seen)
#  5. 4xx and 5xx at RCPT and at the final dot; a relay that is not
#     listening (exit 75)
#  6. SIGTERM while a 20,000-member post goes out slowly: exit 0 within
#     2 s, no lease left, and a second pass sends the rest, everyone once
#  7. bulk_mode sendmail (and bounce_tokens off: the list's -owner address
#     as return path): arguments, message, exit 0 sent, 75 deferred, 67
#     failed; a tracked post asks for DSNs (-N -R -V) with sendmail_dsn
#     on, not without
#  8. a running daemon sends a post within 1 s of distribute's commit
#  9. tracking.delivery_status_notification: every member's return path
#     carries the job id as envelope id, the relay (smtp-sink offers DSN)
#     is asked for DSNs (RET, ENVID, NOTIFY, ORCPT); a "delivered" DSN to
#     one of those return paths, through bouncequeue and bounced, becomes
#     the member's tracking row; with read tracking on demand, each
#     member's copy asks for receipts at its own return path (never the
#     author's), and a receipt back becomes a "displayed" tracking row
#
# bulk sends every packet that is due in its database, whoever made it:
# so that what other tests leave queued is neither sent here nor counted,
# the test makes a database of its own on the server HERALD_TEST_DATABASE
# names (and drops it at the end).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - bulk_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/bulk_sink.sh"
if ! bs_have_sink; then
	echo "skip - bulk_test: no smtp-sink (the postfix package)"
	exit 0
fi
for p in herald queue distribute bulk; do
	if [ ! -x "$BIN/$p" ]; then
		echo "not ok - bulk_test: $BIN/$p not built"
		exit 1
	fi
done
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
HERALD_SCENARIODIR=${HERALD_SCENARIODIR:-$(pwd)/scenarios}
export HERALD_SCENARIODIR

T=$(mktemp -d /tmp/hbulk.XXXXXX) || exit 1
DBNAME=""
DAEMON=""
cleanup() {
	if [ -n "$DAEMON" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	bs_cleanup
	if [ -n "$DBNAME" ]; then
		pg_own_db_drop
	elif [ -n "${MD:-}" ]; then
		# the shared database: what this test put there, and no more
		sql "DELETE FROM bulk_jobs WHERE domain = '$D'" >/dev/null
		sql "DELETE FROM lists WHERE domain = '$D'" >/dev/null
		sql "DELETE FROM bulk_domain_backoff WHERE domain LIKE '%.$MD'" >/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

if pg_own_db hbulk_$$; then
	DBNAME=$pg_own
else
	echo "# $pg_own_why: using the shared database"
fi

D=bulk$$.example.org		# the lists' domain
MD=b$$.test			# members' domains are under it
bs_dump_dir || { not_ok "a directory for the sink's dump"; exit 1; }
DUMPDIR=$BS_DIR
mkdir -p "$T/state"

H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; return 1; }; }

# site FILE RELAY-PORT [LINE...]: a herald.yaml sending to 127.0.0.1:PORT
site() {
	st_f=$1 st_port=$2
	shift 2
	{
		cat <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
myhostname: bulktest.example.org
relay: 127.0.0.1:$st_port
relay_tls: off
bulk_lease: 5
EOC
		for st_l in "$@"; do
			echo "$st_l"
		done
	} > "$st_f"
}

# mklist NAME MEMBERS-FILE [CONFIG-LINE...]: a list anyone may post to
mklist() {
	ml_name=$1 ml_members=$2
	shift 2
	H list create "$ml_name" --subject "Bulk test $ml_name" \
	    --owner boss@example.org || return 1
	{ echo email; cat "$ml_members"; } > "$T/$ml_name.csv"
	H member import "$ml_name" "$T/$ml_name.csv" || return 1
	{
		echo "send: public"
		echo "custom_subject: $ml_name"
		for ml_l in "$@"; do
			echo "$ml_l"
		done
	} >> "$T/lists/$D/$ml_name/config.yaml"
}

# post CONFIG LIST MESSAGE-ID: a post through queue(8), then one pass of
# distribute; its status
post() {
	{
		printf 'From: Alice <alice@example.org>\nTo: %s@%s\n' "$2" "$D"
		printf 'Subject: hello %s\nMessage-ID: <%s>\n' "$2" "$3"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n\n'
		printf 'A line for the members of %s.\n' "$2"
		[ -z "${POST_BODY:-}" ] || cat "$POST_BODY"
	} | "$BIN/queue" -c "$1" -f alice@example.org "$2@$D" || return 1
	"$BIN/distribute" -1 -c "$1" 2>>"$T/distribute.err"
}

# bulk1 CONFIG [OPTIONS]: one pass of bulk; its status in $RC
bulk1() {
	b1_cf=$1
	shift
	"$BIN/bulk" -1 -c "$b1_cf" "$@" 2>>"$T/bulk.err"
	RC=$?
}

# rows MESSAGE-ID STATE: the job's bulk_recipients rows in STATE
rows() {
	sql "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id
	    JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$1' AND r.state = '$2'"
}
# pstates MESSAGE-ID: the states of the job's packets, each once, sorted
pstates() {
	sql "SELECT string_agg(DISTINCT p.state, ',') FROM bulk_packets p
	    JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$1'"
}
# pvalue MESSAGE-ID EXPR: EXPR over the job's packets (one row per packet)
pvalue() {
	sql "SELECT $2 FROM bulk_packets p JOIN bulk_jobs j ON j.id = p.job_id
	    WHERE j.message_id = '$1' ORDER BY p.id"
}
# leased MESSAGE-ID: the job's packets claimed or with a lease
leased() {
	sql "SELECT count(*) FROM bulk_packets p JOIN bulk_jobs j ON j.id = p.job_id
	    WHERE j.message_id = '$1' AND (p.state = 'claimed' OR p.lease_owner IS NOT NULL
	    OR p.lease_expires_at IS NOT NULL)"
}
# txns_of DUMP MESSAGE-ID: bs_txns lines of the message only
txns_of() { bs_txns "$1" | awk -F '\t' -v m="<$2>" '$4 == m'; }

site "$T/herald.yaml" 25
export HERALD_CONFIG="$T/herald.yaml"
check "db migrate" H db migrate
check "spool init" H spool init
check "domain create" H domain create "$D"

# -- 1. grouped: every member once, the list's fields and return path ------
DUMP=$DUMPDIR/dump1
bs_sink_start "$DUMP" || { not_ok "smtp-sink starts"; exit 1; }
SINK1=$BS_PORT
site "$T/c1.yaml" "$SINK1"
: > "$T/m1"
for x in one two three four five; do
	bs_members "$T/m1.$x" 10 u "$x.$MD"
	cat "$T/m1.$x" >> "$T/m1"
done
check "a 50-member list" mklist grp "$T/m1"
MID=grp.$$@example.org
check "post: distributed" post "$T/c1.yaml" grp "$MID"
bulk1 "$T/c1.yaml"
eq "grouped: bulk -1 exits 0" "$RC" 0
eq "grouped: every member once (missing, duplicates)" "$(bs_once_each "$T/m1" "$DUMP")" "0 0"
txns_of "$DUMP" "$MID" > "$T/t1"
eq "grouped: 50 RCPT in all" "$(awk -F '\t' '{ n += $2 } END { print n + 0 }' "$T/t1")" 50
check "grouped: several recipients per transaction ($(wc -l < "$T/t1"))" \
    test "$(wc -l < "$T/t1")" -gt 0 -a "$(wc -l < "$T/t1")" -lt 50
# bounce_tokens (on by default): the list-only form of lib/verp.h
eq "grouped: one tokened return path bounce+TOKEN=grp@$D everywhere" \
    "$(cut -f 1 "$T/t1" | sort -u | grep -c "^bounce+[a-z2-7]\{10\}=grp@$D\$")" 1
eq "grouped: nothing else as return path" \
    "$(cut -f 1 "$T/t1" | grep -vc "^bounce+[a-z2-7]\{10\}=grp@$D\$")" 0
eq "grouped: Subject tagged everywhere" \
    "$(awk -F '\t' '$5 !~ /^\[grp\] hello grp$/' "$T/t1" | wc -l)" 0
eq "grouped: List-Id everywhere" \
    "$(awk -F '\t' -v id="<grp.$D>" 'index($6, id) == 0' "$T/t1" | wc -l)" 0
eq "grouped: List-Unsubscribe everywhere" \
    "$(awk -F '\t' '$7 !~ /^<mailto:/' "$T/t1" | wc -l)" 0
eq "grouped: 50 rows sent" "$(rows "$MID" sent)" 50
eq "grouped: no other row" "$(sql "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$MID' AND r.state <> 'sent'")" 0
eq "grouped: packets done" "$(pstates "$MID")" "done"
eq "grouped: no lease left" "$(leased "$MID")" 0

# -- 2. VERP for everyone: a transaction per member, named in the return path
bs_members "$T/m2" 6 v "v1.$MD"
bs_members "$T/m2b" 6 w "v2.$MD"
cat "$T/m2b" >> "$T/m2"
check "a list with verp_rate 100%" mklist verp "$T/m2" "verp_rate: 100%"
MID=verp.$$@example.org
check "verp: distributed" post "$T/c1.yaml" verp "$MID"
bulk1 "$T/c1.yaml"
eq "verp: bulk -1 exits 0" "$RC" 0
eq "verp: every member once" "$(bs_once_each "$T/m2" "$DUMP")" "0 0"
txns_of "$DUMP" "$MID" > "$T/t2"
eq "verp: one transaction per member" "$(wc -l < "$T/t2")" 12
eq "verp: one RCPT each" "$(awk -F '\t' '$2 != 1' "$T/t2" | wc -l)" 0
# bounce+DDMMMMMMMM=verp=LOCAL=DOMAIN@D, naming the transaction's RCPT
eq "verp: each return path names its recipient" "$(awk -F '\t' -v d="$D" '{
	split($3, a, "@")
	want = "=verp=" a[1] "=" a[2] "@" d
	if ($1 !~ /^bounce\+[a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7]=/ ||
	    substr($1, length($1) - length(want) + 1) != want)
		bad++
	} END { print bad + 0 }' "$T/t2")" 0
eq "verp: all different" "$(cut -f 1 "$T/t2" | sort -u | wc -l)" 12
eq "verp: 12 rows sent" "$(rows "$MID" sent)" 12

# -- 3. one-click for one domain, signed again per recipient -----------------
mkdir -p "$T/dkim"
if command -v opendkim-genkey >/dev/null 2>&1; then
	opendkim-genkey -D "$T/dkim" -d "$D" -s t1 >/dev/null 2>&1
else
	openssl genrsa -out "$T/dkim/t1.private" 2048 >/dev/null 2>&1
fi
printf 'oc.%s oneclick=yes\n' "$MD" > "$T/limits3"
site "$T/c3.yaml" "$SINK1" "oneclick_url: https://lists.example.test/oc" \
    "nrcpt_by_domain: $T/limits3"
if [ -s "$T/dkim/t1.private" ]; then
	cat >> "$T/c3.yaml" <<EOC
dkim_feature: on
dkim_private_key_path: $T/dkim/t1.private
dkim_selector: t1
EOC
	DKIM=1
else
	echo "skip - no DKIM key (opendkim-genkey, openssl): one-click copies unsigned"
	DKIM=0
fi
bs_members "$T/m3oc" 4 o "oc.$MD"
bs_members "$T/m3pl" 4 p "plain.$MD"
cat "$T/m3oc" "$T/m3pl" > "$T/m3"
check "a list with one-click" mklist oc "$T/m3" "dkim_signature_apply_on: any"
MID=oc.$$@example.org
check "one-click: distributed" post "$T/c3.yaml" oc "$MID"
bulk1 "$T/c3.yaml"
eq "one-click: bulk -1 exits 0" "$RC" 0
eq "one-click: every member once" "$(bs_once_each "$T/m3" "$DUMP")" "0 0"
txns_of "$DUMP" "$MID" > "$T/t3"
# the URL's address part is the member in base64url (lib/oneclick.h)
b64url() { printf '%s' "$1" | base64 -w 0 | tr '+/' '-_' | tr -d '='; }
bad=0 n=0
while read -r a; do
	n=$((n + 1))
	line=$(awk -F '\t' -v r="$a" '$3 == r' "$T/t3")
	lu=$(printf '%s\n' "$line" | cut -f 7)
	case $lu in
	"<https://lists.example.test/oc/oc@$D/$(b64url "$a")/"*">, <mailto:"*) ;;
	*) bad=$((bad + 1)); echo "# $a: List-Unsubscribe: $lu" ;;
	esac
done < "$T/m3oc"
eq "one-click: the oneclick=yes domain's members each alone, with their own URL" "$n $bad" "4 0"
eq "one-click: the other domain grouped in one transaction" \
    "$(awk -F '\t' '$3 ~ /@plain\./ { print $2 }' "$T/t3")" 4
eq "one-click: the grouped copy has the mailto only" \
    "$(awk -F '\t' '$3 ~ /@plain\./ { print ($7 ~ /^<mailto:[^>]*>$/) }' "$T/t3")" 1
eq "one-click: 5 transactions" "$(wc -l < "$T/t3")" 5
if [ "$DKIM" -eq 1 ]; then
	eq "dkim: every copy signed over List-Unsubscribe" \
	    "$(awk -F '\t' '(":" $8 ":") ~ /:list-unsubscribe:/' "$T/t3" | wc -l)" 5
	if command -v opendkim >/dev/null 2>&1; then
		pub=$(openssl rsa -in "$T/dkim/t1.private" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')
		printf 't1._domainkey.%s v=DKIM1; k=rsa; p=%s\n' "$D" "$pub" > "$T/dkim/keys"
		printf 'Mode v\nSyslog no\nTestPublicKeys %s\n' "$T/dkim/keys" > "$T/dkim/opendkim.conf"
		eq "dkim: five copies apart" "$(bs_split "$DUMP" "$T/oc" "<$MID>")" 5
		good=0 personal=0
		for f in "$T"/oc/*.eml; do
			if opendkim -x "$T/dkim/opendkim.conf" -t "$f" 2>&1 |
			    grep -q "verification (s=t1, d=$D, .*) succeeded"; then
				good=$((good + 1))
				grep -q '@oc\.' "${f%.eml}.rcpt" && personal=$((personal + 1))
			else
				echo "# $(cat "${f%.eml}.rcpt"): $(opendkim -x "$T/dkim/opendkim.conf" -t "$f" 2>&1)"
			fi
		done
		eq "dkim: opendkim verifies every copy (personal ones signed again)" "$good $personal" "5 4"
		# a signed message is not bounded by the signature's own size
		awk 'BEGIN { for (i = 0; i < 2000; i++) printf "line %04d of a long post, over 64 KiB in all\n", i }' > "$T/long"
		MID=long.$$@example.org
		POST_BODY=$T/long check "dkim: a 90 KiB post distributed" post "$T/c3.yaml" oc "$MID"
		bulk1 "$T/c3.yaml"
		eq "dkim: the long post's copies" "$(bs_split "$DUMP" "$T/long.d" "<$MID>")" 5
		eq "dkim: opendkim verifies the long post" \
		    "$(opendkim -x "$T/dkim/opendkim.conf" -t "$T/long.d/1.eml" 2>&1 | grep -c "verification (s=t1, d=$D, .*) succeeded")" 1
	else
		echo "skip - no opendkim: the copies are not verified"
	fi
fi

# -- 3b. merge fields: each member's own address and name in the footer -------
bs_members "$T/m3m" 3 g "merge.$MD"
check "a list with merge fields" mklist merge "$T/m3m" "dkim_signature_apply_on: any" \
    "personalization_feature: on" "personalization:" "  mail_apply_on: footer" \
    'message_footer: "For [% user.email %] ([% user.gecos %]) of [% listname %]"'
last=$(tail -n 1 "$T/m3m")
sql "UPDATE subscribers s SET name = 'Zoë ' || split_part(s.email, '@', 1)
    FROM lists l WHERE l.id = s.list_id AND l.name = 'merge' AND s.email <> '$last'" >/dev/null
MID=merge.$$@example.org
check "merge: distributed" post "$T/c3.yaml" merge "$MID"
eq "merge: the job has its word" \
    "$(sql "SELECT personalize AND merge_nonce ~ '^[0-9a-f]{12}$' FROM bulk_jobs WHERE message_id = '$MID'")" t
bulk1 "$T/c3.yaml"
eq "merge: bulk -1 exits 0" "$RC" 0
eq "merge: every member once" "$(bs_once_each "$T/m3m" "$DUMP")" "0 0"
eq "merge: a copy each" "$(bs_split "$DUMP" "$T/mg" "<$MID>")" 3
bad=0 signed=0
for f in "$T"/mg/*.eml; do
	a=$(tr -d ' ' < "${f%.eml}.rcpt")
	if [ "$a" = "$last" ]; then want="For $a () of merge"; else want="For $a (Zoë ${a%@*}) of merge"; fi
	if ! grep -qF "$want" "$f" || grep -q '\[%' "$f"; then
		bad=$((bad + 1))
		echo "# $a: $(grep -a '^For ' "$f")"
	fi
	if [ "$DKIM" -eq 1 ] && command -v opendkim >/dev/null 2>&1 &&
	    opendkim -x "$T/dkim/opendkim.conf" -t "$f" 2>&1 |
	    grep -q "verification (s=t1, d=$D, .*) succeeded"; then
		signed=$((signed + 1))
	fi
done
eq "merge: each footer names its member, no token left" "$bad" 0
if [ "$DKIM" -eq 1 ] && command -v opendkim >/dev/null 2>&1; then
	eq "merge: opendkim verifies every merged copy (signed again)" "$signed" 3
fi

# -- 4. the limits file: nrcpt and single; concurrency -----------------------
printf 'lim.%s nrcpt=2\none.%s single=yes\n' "$MD" "$MD" > "$T/limits4"
site "$T/c4.yaml" "$SINK1" "nrcpt_by_domain: $T/limits4"
bs_members "$T/m4lim" 7 l "lim.$MD"
bs_members "$T/m4one" 3 s "one.$MD"
bs_members "$T/m4free" 5 f "free.$MD"
cat "$T/m4lim" "$T/m4one" "$T/m4free" > "$T/m4"
check "a list over limited domains" mklist lim "$T/m4"
MID=lim.$$@example.org
check "limits: distributed" post "$T/c4.yaml" lim "$MID"
bulk1 "$T/c4.yaml"
eq "limits: bulk -1 exits 0" "$RC" 0
eq "limits: every member once" "$(bs_once_each "$T/m4" "$DUMP")" "0 0"
txns_of "$DUMP" "$MID" > "$T/t4"
# per transaction, how many RCPT of a domain
per_txn() { awk -F '\t' -v d="@$1" '{ n = 0; k = split($3, a, " ")
	for (i = 1; i <= k; i++) if (substr(a[i], length(a[i]) - length(d) + 1) == d) n++
	if (n) print n }' "$T/t4" | sort -n | tr '\n' ' '; }
eq "limits: nrcpt=2 - never more than 2 RCPT of the domain at once" "$(per_txn "lim.$MD")" "1 2 2 2 "
eq "limits: single=yes - one RCPT per transaction" "$(per_txn "one.$MD")" "1 1 1 "
eq "limits: an unlisted domain still grouped" "$(per_txn "free.$MD")" "5 "

# concurrency=1, seen through the sendmail transport: each run notes how
# many runs of its domain are going on (the script is also part 7's)
SM=$T/sm
mkdir -p "$SM/calls" "$SM/run"
cat > "$SM/sendmail" <<EOS
#!/bin/sh
# a sendmail for bulk_test: keeps its arguments and input, notes the runs
# of its last recipient's domain going on at once, exits with $SM/status
n=\$(mktemp "$SM/calls/c.XXXXXX") || exit 75
printf '%s\n' "\$@" > "\$n"
cat > "\$n.msg"
for a; do last=\$a; done
d=\${last##*@}
touch "$SM/run/\$d.\$\$"
ls "$SM/run" | grep -c "^\$d\\." >> "$SM/overlap.\$d"
sleep "\$(cat "$SM/sleep")"
rm -f "$SM/run/\$d.\$\$"
exit "\$(cat "$SM/status")"
EOS
chmod 755 "$SM/sendmail"
echo 0 > "$SM/status"
echo 0.4 > "$SM/sleep"
printf 'conc.%s nrcpt=2 concurrency=1\npar.%s nrcpt=2\n' "$MD" "$MD" > "$T/limits4c"
site "$T/c4c.yaml" "$SINK1" "nrcpt_by_domain: $T/limits4c" "bulk_mode: sendmail" \
    "sendmail_path: $SM/sendmail" "bulk_connections: 4"
bs_members "$T/m4c" 6 c "conc.$MD"
bs_members "$T/m4p" 6 p "par.$MD"
cat "$T/m4p" >> "$T/m4c"
check "a list with a concurrency-limited domain" mklist conc "$T/m4c"
MID=conc.$$@example.org
check "concurrency: distributed" post "$T/c4c.yaml" conc "$MID"
bulk1 "$T/c4c.yaml"
eq "concurrency: bulk -1 exits 0" "$RC" 0
eq "concurrency: 12 rows sent" "$(rows "$MID" sent)" 12
maxof() { sort -n "$1" 2>/dev/null | tail -n 1; }
eq "concurrency=1: never two runs for the domain at once" "$(maxof "$SM/overlap.conc.$MD")" 1
check "concurrency: an unlimited domain does get runs at once ($(maxof "$SM/overlap.par.$MD"))" \
    test "$(maxof "$SM/overlap.par.$MD")" -ge 2
echo 0 > "$SM/sleep"
rm -f "$SM"/calls/* "$SM"/overlap.*

# -- 5. refusals and a relay that is not there --------------------------------
# fail NAME SINK-OPTION...: a 3-member list of its own domain, posted and
# sent once to a sink refusing as told; MID and the dump left for checks
fail() {
	f_name=$1
	shift
	bs_members "$T/m5$f_name" 3 r "$f_name.$MD"
	mklist "$f_name" "$T/m5$f_name" || return 1
	MID=$f_name.$$@example.org
	bs_sink_start "$DUMPDIR/dump5$f_name" "$@" || return 1
	site "$T/c5$f_name.yaml" "$BS_PORT"
	post "$T/c5$f_name.yaml" "$f_name" "$MID" || return 1
	bulk1 "$T/c5$f_name.yaml"
	bs_sink_stop "$BS_PID"
}
status_of() {	# status_of MESSAGE-ID: the rows' smtp_status, each once
	sql "SELECT string_agg(DISTINCT r.smtp_status, ' | ') FROM bulk_recipients r
	    JOIN bulk_packets p ON p.id = r.packet_id JOIN bulk_jobs j ON j.id = p.job_id
	    WHERE j.message_id = '$1'"
}
# retried MESSAGE-ID: "ready, attempts 1, later, no lease" when the packet
# went back to the queue for a later attempt
retried() {
	pvalue "$1" "state || ', attempts ' || attempts ||
	    CASE WHEN next_attempt_at > now() + interval '1 minute' THEN ', later' ELSE ', now' END ||
	    CASE WHEN lease_owner IS NULL AND lease_expires_at IS NULL THEN ', no lease' ELSE ', leased' END" | sort -u
}

check "4xx at RCPT: sent to the sink" fail soft -r RCPT
eq "4xx at RCPT: bulk -1 exits 0" "$RC" 0
eq "4xx at RCPT: 3 rows deferred" "$(rows "$MID" deferred)" 3
eq "4xx at RCPT: with the reply" "$(status_of "$MID")" "450 4.3.0 Error: command failed"
eq "4xx at RCPT: the packet waits for a later attempt" "$(retried "$MID")" "ready, attempts 1, later, no lease"
eq "4xx at RCPT: nothing delivered" "$(bs_rcpt_count "$DUMPDIR/dump5soft")" 0

check "5xx at RCPT: sent to the sink" fail hard -f RCPT
eq "5xx at RCPT: bulk -1 exits 0" "$RC" 0
eq "5xx at RCPT: 3 rows failed" "$(rows "$MID" failed)" 3
eq "5xx at RCPT: with the reply" "$(status_of "$MID")" "500 5.3.0 Error: command failed"
eq "5xx at RCPT: the packet is done" "$(pstates "$MID")" "done"

check "4xx at the final dot: sent to the sink" fail dotsoft -r .
eq "4xx at the dot: bulk -1 exits 0" "$RC" 0
eq "4xx at the dot: 3 rows deferred" "$(rows "$MID" deferred)" 3
eq "4xx at the dot: with the reply" "$(status_of "$MID")" "450 4.3.0 Error: command failed"
eq "4xx at the dot: the packet waits" "$(retried "$MID")" "ready, attempts 1, later, no lease"

check "5xx at the final dot: sent to the sink" fail dothard -f .
eq "5xx at the dot: 3 rows failed" "$(rows "$MID" failed)" 3
eq "5xx at the dot: the packet is done" "$(pstates "$MID")" "done"

# nothing listens: the port is taken free and left so
bs_members "$T/m5down" 3 r "down.$MD"
check "a list for a relay that is down" mklist down "$T/m5down"
MID=down.$$@example.org
NOPORT=$(postfix_free_port 27000 27999)
site "$T/c5down.yaml" "$NOPORT"
check "relay down: distributed" post "$T/c5down.yaml" down "$MID"
t0=$(bs_now_ms)
bulk1 "$T/c5down.yaml"
t1=$(bs_now_ms)
eq "relay down: bulk -1 exits 75 (EX_TEMPFAIL)" "$RC" 75
check "relay down: at once ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 10000
eq "relay down: 3 rows deferred" "$(rows "$MID" deferred)" 3
st=$(status_of "$MID")
case $st in
"451 4.4.1 "*relay*) ok "relay down: the rows say so ($st)" ;;
*) not_ok "relay down: the rows say so: got '$st'" ;;
esac
eq "relay down: the packet waits for a later attempt" "$(retried "$MID")" "ready, attempts 1, later, no lease"

# -- 6. SIGTERM in the middle of 20,000 ---------------------------------------
N6=20000
bs_members "$T/m6" $N6 m "many.$MD"
check "a $N6-member list" mklist many "$T/m6"
MID=many.$$@example.org
DUMP6=$DUMPDIR/dump6
# A sink that waits 1 s before its answer to DATA: 4 connections, about
# 4 transactions a second; each ends well within bulk's 1.5 s of grace.
bs_sink_start "$DUMP6" -w 1 || not_ok "a slow sink"
SLOW=$BS_PID
site "$T/c6.yaml" "$BS_PORT" "bulk_connections: 4"
check "many: distributed" post "$T/c6.yaml" many "$MID"
"$BIN/bulk" -c "$T/c6.yaml" 2>>"$T/bulk.err" &
DAEMON=$!
i=0
while [ "$(bs_rcpt_count "$DUMP6")" -lt 100 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3		# transactions in flight now
t0=$(bs_now_ms)
kill -TERM "$DAEMON"
i=0
while kill -0 "$DAEMON" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
t1=$(bs_now_ms)
wait "$DAEMON"
RC=$?
DAEMON=""
eq "SIGTERM: exit 0" "$RC" 0
check "SIGTERM: gone within 2 s ($((t1 - t0)) ms)" test $((t1 - t0)) -le 2000
bs_sink_stop "$SLOW"
sent=$(rows "$MID" sent)
check "SIGTERM: stopped in the middle ($sent sent)" test "$sent" -gt 0 -a "$sent" -lt $N6
eq "SIGTERM: what the relay accepted is what was recorded" "$(bs_rcpt_count "$DUMP6")" "$sent"
eq "SIGTERM: no packet left claimed, no lease left" "$(leased "$MID")" 0
eq "SIGTERM: no row but sent" "$(sql "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$MID' AND r.state <> 'sent'")" 0
bs_sink_start "$DUMP6" || not_ok "a fast sink"
site "$T/c6b.yaml" "$BS_PORT" "bulk_connections: 4"
bulk1 "$T/c6b.yaml"
eq "after SIGTERM: bulk -1 exits 0" "$RC" 0
eq "after SIGTERM: every member once" "$(bs_once_each "$T/m6" "$DUMP6")" "0 0"
eq "after SIGTERM: $N6 rows sent" "$(rows "$MID" sent)" $N6
eq "after SIGTERM: every packet done" "$(pstates "$MID")" "done"
eq "after SIGTERM: a lease given back was not counted as an attempt" \
    "$(pvalue "$MID" "attempts" | sort -u)" 1
bs_sink_stop "$BS_PID"

# -- 7. bulk_mode sendmail ----------------------------------------------------
bs_members "$T/m7" 3 s "sm1.$MD"
bs_members "$T/m7b" 2 t "sm2.$MD"
cat "$T/m7b" >> "$T/m7"
site "$T/c7.yaml" "$NOPORT" "bulk_mode: sendmail" "sendmail_path: $SM/sendmail" \
    "bounce_tokens: off"
check "a list for sendmail" mklist sm "$T/m7"
MID=sm.$$@example.org
check "sendmail: distributed" post "$T/c7.yaml" sm "$MID"
echo 0 > "$SM/status"
bulk1 "$T/c7.yaml"
eq "sendmail: bulk -1 exits 0" "$RC" 0
eq "sendmail: 5 rows sent" "$(rows "$MID" sent)" 5
# every run: -oi -oem -f RETURN-PATH -- RECIPIENTS
eq "sendmail: its arguments" "$(for f in "$SM"/calls/c.??????; do head -n 5 "$f" | tr '\n' ' '; echo; done | sort -u)" \
    "-oi -oem -f sm-owner@$D -- "
eq "sendmail: every member once" "$(for f in "$SM"/calls/c.??????; do tail -n +6 "$f"; done | sort | tr '\n' ' ')" \
    "$(sort "$T/m7" | tr '\n' ' ')"
msg=$(ls "$SM"/calls/c.??????.msg | head -n 1)
check "sendmail: the message with the list's fields" grep -q "^List-Id: .*<sm\.$D>" "$msg"
check "sendmail: its subject tag" grep -q '^Subject: \[sm\] hello sm' "$msg"
check "sendmail: its body" grep -q '^A line for the members of sm\.$' "$msg"
check "sendmail: LF line ends, no CR" sh -c "! grep -q \"\$(printf '\r')\" '$msg'"
check "sendmail: no SMTP final dot" sh -c "! grep -qx '\\.' '$msg'"
rm -f "$SM"/calls/*

check "a second list for sendmail" mklist smtemp "$T/m7b"
MID=smtemp.$$@example.org
check "sendmail 75: distributed" post "$T/c7.yaml" smtemp "$MID"
echo 75 > "$SM/status"
bulk1 "$T/c7.yaml"
eq "sendmail 75: bulk -1 exits 0" "$RC" 0
eq "sendmail 75: 2 rows deferred" "$(rows "$MID" deferred)" 2
eq "sendmail 75: the packet waits" "$(retried "$MID")" "ready, attempts 1, later, no lease"
eq "sendmail 75: the status says why" "$(status_of "$MID")" "451 4.3.0 sendmail exited with status 75"

check "a third list for sendmail" mklist smfail "$T/m7b"
MID=smfail.$$@example.org
check "sendmail 67: distributed" post "$T/c7.yaml" smfail "$MID"
echo 67 > "$SM/status"
bulk1 "$T/c7.yaml"
eq "sendmail 67 (EX_NOUSER): 2 rows failed" "$(rows "$MID" failed)" 2
eq "sendmail 67: the packet is done" "$(pstates "$MID")" "done"

# A tracked list: the DSN options only when the site says sendmail_dsn
bs_members "$T/m7t" 2 d "sm3.$MD"
site "$T/c7t.yaml" "$NOPORT" "bulk_mode: sendmail" "sendmail_path: $SM/sendmail" \
    "sendmail_dsn: on"
check "a tracked list for sendmail" mklist smtrk "$T/m7t" "tracking:" \
    "  delivery_status_notification: on"
MID=smtrk.$$@example.org
check "sendmail dsn: distributed" post "$T/c7t.yaml" smtrk "$MID"
JOB7=$(sql "SELECT id FROM bulk_jobs WHERE message_id = '$MID'")
echo 0 > "$SM/status"
rm -f "$SM"/calls/*
bulk1 "$T/c7t.yaml"
eq "sendmail dsn: 2 rows sent" "$(rows "$MID" sent)" 2
eq "sendmail dsn: -N, -R and -V the job before -f, a run per member" \
    "$(for f in "$SM"/calls/c.??????; do head -n 11 "$f" | tr '\n' ' ' | sed 's/bounce+[^ ]*/RP/'; echo; done | sort | uniq -c | sed 's/^ *//')" \
    "2 -oi -oem -N success,delay,failure -R hdrs -V $JOB7 -f RP -- "
check "a second tracked post" post "$T/c7.yaml" smtrk "nodsn.$MID"
rm -f "$SM"/calls/*
bulk1 "$T/c7.yaml"
eq "sendmail_dsn off: no DSN options" \
    "$(for f in "$SM"/calls/c.??????; do head -n 3 "$f" | tr '\n' ' '; echo; done | sort -u)" "-oi -oem -f "
check "sendmail_dsn off: bulk says the DSNs are not asked" grep -q "sendmail_dsn is off" "$T/bulk.err"
rm -f "$SM"/calls/*

# -- 8. a running daemon is woken by the new packets ---------------------------
bs_members "$T/m8" 2 w "wake.$MD"
check "a list for the daemon" mklist wake "$T/m8"
"$BIN/bulk" -c "$T/c1.yaml" 2>>"$T/bulk.err" &
DAEMON=$!
sleep 1
for k in 1 2 3; do
	MID=wake$k.$$@example.org
	post "$T/c1.yaml" wake "$MID"
	t0=$(bs_now_ms)
	i=0
	while [ "$(rows "$MID" sent)" != 2 ] && [ $i -lt 100 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	t1=$(bs_now_ms)
	check "wake-up $k: sent $((t1 - t0)) ms after distribute committed (< 1000)" \
	    test "$(rows "$MID" sent)" = 2 -a $((t1 - t0)) -lt 1000
	# a phase of the 2 s idle poll that differs each time
	sleep 0.$((k * 3))
done
kill -TERM "$DAEMON"
wait "$DAEMON"
RC=$?
DAEMON=""
eq "daemon: SIGTERM when idle, exit 0" "$RC" 0

# -- 9. tracking: DSNs asked for, the job id as envelope id ---------------------
DUMP9=$DUMPDIR/dump9
bs_sink_start "$DUMP9" || { not_ok "smtp-sink starts (9)"; exit 1; }
site "$T/c9.yaml" "$BS_PORT"
bs_members "$T/m9" 3 t "trk.$MD"
check "a list with tracking.delivery_status_notification: on" \
    mklist trk "$T/m9" "tracking:" "  delivery_status_notification: on"
MID=trk.$$@example.org
check "tracking: distributed" post "$T/c9.yaml" trk "$MID"
JOB=$(sql "SELECT id FROM bulk_jobs WHERE message_id = '$MID'")
eq "tracking: the job says dsn" "$(sql "SELECT tracking FROM bulk_jobs WHERE message_id = '$MID'")" dsn
bulk1 "$T/c9.yaml"
eq "tracking: bulk -1 exits 0" "$RC" 0
eq "tracking: every member once" "$(bs_once_each "$T/m9" "$DUMP9")" "0 0"
eq "tracking: 3 rows sent" "$(rows "$MID" sent)" 3
eq "tracking: MAIL asks for headers back, the job id as ENVID" \
    "$(grep '^X-Mail-Args: ' "$DUMP9" | sed 's/^[^ ]* <[^>]*> *//' | sort | uniq -c | sed 's/^ *//')" \
    "3 RET=HDRS ENVID=$JOB"
eq "tracking: each RCPT asks for every DSN, ORCPT its own address" \
    "$(grep '^X-Rcpt-Args: ' "$DUMP9" | awk '{
	a = $2; gsub(/[<>]/, "", a)
	if ($3 != "NOTIFY=SUCCESS,DELAY,FAILURE" || $4 != "ORCPT=rfc822;" a || NF != 4)
		bad++
	} END { print NR, bad + 0 }')" "3 0"
bs_txns "$DUMP9" > "$T/t9"
# bounce+DDMMMMMMMM-JOB=trk=LOCAL=DOMAIN@D, naming the transaction's RCPT
eq "tracking: each return path carries -$JOB= after the token and names its member" \
    "$(awk -F '\t' -v d="$D" -v job="$JOB" '{
	split($3, a, "@")
	want = "-" job "=trk=" a[1] "=" a[2] "@" d
	if ($1 !~ /^bounce\+[a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7][a-z2-7]-/ ||
	    substr($1, 18) != want)
		bad++
	} END { print NR, bad + 0 }' "$T/t9")" "3 0"
# A DSN to the first member's return path, as the MTA's alias delivers it
if [ -x "$BIN/bouncequeue" ] && [ -x "$BIN/bounced" ]; then
	RP9=$(awk -F '\t' '$3 == "t000001@trk.'"$MD"'" { print $1 }' "$T/t9")
	{
		printf 'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n'
		printf 'To: %s\nSubject: Successful Mail Delivery Report\n' "$RP9"
		printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <dsn9.%s@mx.example.net>\n' "$$"
		printf 'MIME-Version: 1.0\nAuto-Submitted: auto-replied\n'
		printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B9"\n\n'
		printf -- '--B9\nContent-Type: text/plain\n\nYour message was delivered.\n\n'
		printf -- '--B9\nContent-Type: message/delivery-status\n\n'
		printf 'Reporting-MTA: dns; mx.example.net\nOriginal-Envelope-Id: %s\n\n' "$JOB"
		printf 'Original-Recipient: rfc822; t000001@trk.%s\n' "$MD"
		printf 'Final-Recipient: rfc822; t000001@trk.%s\nAction: delivered\nStatus: 2.0.0\n' "$MD"
		printf '\n--B9\nContent-Type: text/rfc822-headers\n\n'
		printf 'From: Alice <alice@example.org>\nTo: trk@%s\nSubject: [trk] hello trk\n' "$D"
		printf 'Message-ID: <%s>\n\n--B9--\n' "$MID"
	} | ORIGINAL_RECIPIENT=$RP9 "$BIN/bouncequeue" -c "$T/c9.yaml" -f '<>' "sympa@$D" 2>>"$T/bounced.err"
	eq "tracking: bouncequeue takes the DSN" "$?" 0
	"$BIN/bounced" -1 -c "$T/c9.yaml" 2>>"$T/bounced.err"
	eq "tracking: bounced -1 exits 0" "$?" 0
	eq "tracking: the member's row (list, envid, member, type, status)" \
	    "$(sql "SELECT l.name || ',' || t.envid || ',' || t.email || ',' || t.type || ',' || t.status
	    FROM tracking t JOIN lists l ON l.id = t.list_id WHERE l.domain = '$D'")" \
	    "trk,$JOB,t000001@trk.$MD,dsn,delivered"
	eq "tracking: a delivery is no bounce" "$(sql "SELECT s.bounce_count FROM subscribers s
	    JOIN lists l ON l.id = s.list_id WHERE l.name = 'trk' AND l.domain = '$D'
	    AND s.email = 't000001@trk.$MD'")" 0
else
	echo "# tracking: no bouncequeue or bounced in $BIN: the DSN's way back not tried"
fi
# MDN on demand: only a post that asks for receipts is tracked ("mdn",
# which implies DSN); its Disposition-Notification-To is not sent on
bs_members "$T/m9b" 2 r "mdn.$MD"
check "a list with tracking.message_disposition_notification: on_demand" \
    mklist mdn "$T/m9b" "tracking:" "  message_disposition_notification: on_demand"
MID9=mdn.$$@example.org
{
	printf 'From: Alice <alice@example.org>\nTo: mdn@%s\nSubject: receipts\n' "$D"
	printf 'Message-ID: <%s>\nDisposition-Notification-To: alice@example.org\n' "$MID9"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n\nPlease confirm.\n'
} | "$BIN/queue" -c "$T/c9.yaml" -f alice@example.org "mdn@$D"
"$BIN/distribute" -1 -c "$T/c9.yaml" 2>>"$T/distribute.err"
eq "mdn on demand: asked, the job says mdn" "$(sql "SELECT tracking FROM bulk_jobs WHERE message_id = '$MID9'")" mdn
check "mdn on demand: not asked, distributed" post "$T/c9.yaml" mdn "plain.$MID9"
eq "mdn on demand: not asked, no tracking" "$(sql "SELECT coalesce(tracking, 'none') FROM bulk_jobs WHERE message_id = 'plain.$MID9'")" none
bulk1 "$T/c9.yaml"
eq "mdn on demand: bulk -1 exits 0" "$RC" 0
eq "mdn on demand: DSNs asked for the tracked post only (3 + 2 in all)" \
    "$(grep -c '^X-Mail-Args: .* RET=HDRS ENVID=[0-9]' "$DUMP9")" 5
eq "mdn on demand: a transaction per member when tracked, one for both when not" \
    "$(bs_split "$DUMP9" "$T/s9" "<$MID9>") $(bs_split "$DUMP9" "$T/s9p" "<plain.$MID9>")" "2 1"
eq "mdn on demand: 4 rows sent" "$(($(rows "$MID9" sent) + $(rows "plain.$MID9" sent)))" 4
eq "mdn on demand: the author's Disposition-Notification-To not sent on" \
    "$(cat "$T"/s9/*.eml "$T"/s9p/*.eml | grep -ci '^Disposition-Notification-To:.*alice')" 0
bs_txns "$DUMP9" > "$T/t9b"
eq "mdn on demand: each tracked copy asks for receipts at its own return path" \
    "$(awk -F '\t' -v mid="<$MID9>" '$4 == mid { n++; if ($9 != "<" $1 ">") bad++ }
    END { print n + 0, bad + 0 }' "$T/t9b")" "2 0"
eq "mdn on demand: the untracked copy asks for none" \
    "$(awk -F '\t' -v mid="<plain.$MID9>" '$4 == mid && $9 != "" { n++ } END { print n + 0 }' "$T/t9b")" 0
# A read receipt back at the first member's return path
JOB9=$(sql "SELECT id FROM bulk_jobs WHERE message_id = '$MID9'")
RP9B=$(awk -F '\t' -v mid="<$MID9>" -v m="r000001@mdn.$MD" '$4 == mid && $3 == m { print $1 }' "$T/t9b")
if [ ! -x "$BIN/bouncequeue" ] || [ ! -x "$BIN/bounced" ]; then
	echo "# read receipt: no bouncequeue or bounced in $BIN: its way back not tried"
elif [ -z "$RP9B" ]; then
	not_ok "read receipt: no return path for r000001 in the dump"
else
	{
		printf 'From: R One <r000001@mdn.%s>
To: %s
Subject: Read: receipts
' "$MD" "$RP9B"
		printf 'Date: Mon, 23 Nov 2026 11:00:00 +0000
Message-ID: <mdn9.%s@mdn.example.net>
' "$$"
		printf 'MIME-Version: 1.0
'
		printf 'Content-Type: multipart/report; report-type=disposition-notification; boundary="M9"

'
		printf -- '--M9
Content-Type: text/plain

Your message was displayed.

'
		printf -- '--M9
Content-Type: message/disposition-notification

'
		printf 'Reporting-UA: mua.mdn.example.net; Example Mail 1.0
'
		printf 'Final-Recipient: rfc822; r000001@mdn.%s
Original-Message-ID: <%s>
' "$MD" "$MID9"
		printf 'Disposition: manual-action/MDN-sent-manually; displayed

--M9--
'
	} | ORIGINAL_RECIPIENT=$RP9B "$BIN/bouncequeue" -c "$T/c9.yaml" -f '<>' "sympa@$D" 2>>"$T/bounced.err"
	eq "read receipt: bouncequeue takes it" "$?" 0
	"$BIN/bounced" -1 -c "$T/c9.yaml" 2>>"$T/bounced.err"
	eq "read receipt: bounced -1 exits 0" "$?" 0
	eq "read receipt: the member's row (envid, member, type, status)" \
	    "$(sql "SELECT t.envid || ',' || t.email || ',' || t.type || ',' || t.status
	    FROM tracking t JOIN lists l ON l.id = t.list_id WHERE l.name = 'mdn' AND l.domain = '$D'")" \
	    "$JOB9,r000001@mdn.$MD,mdn,displayed"
	eq "read receipt: no bounce" "$(sql "SELECT s.bounce_count FROM subscribers s
	    JOIN lists l ON l.id = s.list_id WHERE l.name = 'mdn' AND l.domain = '$D'
	    AND s.email = 'r000001@mdn.$MD'")" 0
fi

# -- what the programs said ------------------------------------------------
if bs_sanitizer_reports "$T/bulk.err" "$T/distribute.err" "$T/bounced.err" > "$T/san"; then
	not_ok "a sanitizer report:"
	head -n 20 "$T/san" | sed 's/^/# /'
else
	ok "no sanitizer report from bulk or distribute"
fi
[ "$nfail" -eq 0 ]

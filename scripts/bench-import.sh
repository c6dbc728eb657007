#!/usr/bin/env bash
# The bulk import's figures (docs/import.md): ROWS synthetic people (default 10,000; Thai
# names, citizen IDs with right check digits, every third with two systems) imported with
# `thaiid-server user import` on a new SQLite file and on a new PostgreSQL database, twice
# each: the first run creates everyone, the second finds everyone unchanged. Prints the wall
# time of each run.
#
#   bash scripts/bench-import.sh [ROWS]
#
# THAIID_SERVER: the binary (default target/debug/thaiid-server, built if missing);
# THAIID_TEST_POSTGRES: a PostgreSQL role that may create databases (unset: SQLite only).
set -euo pipefail
cd "$(dirname "$0")/.."

rows=${1:-10000}
bin=${THAIID_SERVER:-${CARGO_TARGET_DIR:-target}/debug/thaiid-server}
[[ -x $bin ]] || cargo build -p thaiid-server
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
csv=$work/hr.csv

# Synthetic people: citizen IDs 9 and a running number, each with its check digit.
awk -v rows="$rows" 'BEGIN {
    print "username,name_th,name_en,citizen_id,systems"
    for (n = 1; n <= rows; n++) {
        id = sprintf("9%011d", n); sum = 0
        for (i = 1; i <= 12; i++) sum += substr(id, i, 1) * (14 - i)
        id = id ((11 - sum % 11) % 10)
        systems = (n % 3 == 0) ? "01010101 02010101" : ""
        printf "person.%d,\"นายทดสอบ ลำดับที่ %d\",\"Mr Test Number %d\",%s,%s\n", n, n, n, id, systems
    }
}' >"$csv"

# One run: the seconds it took and its counts line.
run() {
    local url=$1 start end
    start=$(date +%s.%N)
    DATABASE_URL=$url THAIID_SERVER_OTP_KEY_FILE=$work/otp.key \
        THAIID_SERVER_CARD_KEY_FILE=$work/card.key \
        "$bin" user import "$csv" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" -v said="$(tail -1 "$work/out")" \
        'BEGIN { printf "%.2f s  (%s)\n", e - s, said }'
}

bench() {
    local name=$1 url=$2 full=$csv
    DATABASE_URL=$url THAIID_SERVER_OTP_KEY_FILE=$work/otp.key \
        THAIID_SERVER_CARD_KEY_FILE=$work/card.key "$bin" demo seed >/dev/null
    # The header alone: the process's start, the database opened, one audit row.
    csv=$work/empty.csv
    head -1 "$full" >"$csv"
    echo "$name, header only:        $(run "$url")"
    csv=$full
    echo "$name, $rows rows, first run:  $(run "$url")"
    echo "$name, $rows rows, second run: $(run "$url")"
}

echo "binary: $bin"
bench SQLite "sqlite:$work/bench.db"
if [[ -n ${THAIID_TEST_POSTGRES:-} ]]; then
    db=bench_import_$$
    psql -q "$THAIID_TEST_POSTGRES" -c "CREATE DATABASE $db"
    trap 'psql -q "$THAIID_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
    bench PostgreSQL "${THAIID_TEST_POSTGRES%/*}/$db"
fi

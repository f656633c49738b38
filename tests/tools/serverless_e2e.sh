#!/bin/sh
# The faas-cli-like workflow end to end, every step through the ebpfaas CLI
# against a real ebpfaasd (own state directory, a generated-traffic port, an
# ephemeral HTTP port): login, new, build, deploy, list, describe, invoke,
# map dump/update, stats, logs, update, remove; then the OpenFaaS template's
# submit script against the same daemon.
#   serverless_e2e.sh EBPFAAS EBPFAASD TEMPLATES_DIR WORK_PREFIX
# The work directory is WORK_PREFIX.XXXXXX (runs may overlap), removed after
# a pass and kept after a failure.
set -eu
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
cli=$(abs "$1") daemon=$(abs "$2") templates=$(abs "$3")
mkdir -p "$(dirname "$4")"
work=$(mktemp -d "$4.XXXXXX")
# The background job opens its redirections later: the files exist first.
: >"$work/daemon.out"
: >"$work/daemon.err"
"$daemon" --listen 127.0.0.1:0 --state "$work/state" --engines 1 \
	--port "in=gen:size=64,flows=16" --min-time 1 >"$work/daemon.out" 2>"$work/daemon.err" &
pid=$!
passed=0
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
[ "$passed" = 1 ] && rm -rf "$work"' EXIT

url=""
i=0
while [ $i -lt 300 ]; do
	url=$(sed -n 's/^ebpfaasd listening on \(http:[^ ]*\)$/\1/p' "$work/daemon.out")
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.err"; echo "FAIL: ebpfaasd exited"; exit 1; }
	sleep 0.1
	i=$((i + 1))
done
[ -n "$url" ] || { cat "$work/daemon.err"; echo "FAIL: ebpfaasd did not start"; exit 1; }
echo "ebpfaasd at $url"

export EBPFAAS_CONFIG="$work/config" OPENFAAS_URL="$url" EBPFAAS_TEMPLATES="$templates"
step() {
	echo "\$ ebpfaas $*"
	"$cli" "$@"
}
expect() {  # expect PATTERN FILE
	grep -q -- "$1" "$2" || { echo "FAIL: no '$1' in:"; cat "$2"; exit 1; }
}
cd "$work"

# Unauthenticated calls are refused with a hint.
if "$cli" list >out 2>&1; then echo "FAIL: list without login succeeded"; exit 1; fi
expect "HTTP 401" out
expect "ebpfaas login" out

step login -u admin --password-stdin <"$work/state/secrets/basic-auth-password"
step new hello
step build
step deploy -f stack.yml
step list >out
cat out
expect "^hello " out
step describe hello >out
cat out
expect "Status: *Ready" out

step invoke hello --time 1 --json >out
cat out
expect '"status": "finished"' out
if grep -q '"in": 0,' out; then echo "FAIL: no packets"; exit 1; fi
step invoke hello --time 1 >out
cat out
expect "finished in" out
expect "Mpps in" out

step map list hello >out
cat out
expect "^stats " out
step map dump hello stats >out
cat out
expect '"key": "00000000"' out
step map update hello stats 03000000 07000000000000000800000000000000
step map lookup hello stats 03000000 >out
expect "^07000000000000000800000000000000$" out
step stats hello >out
cat out
expect "finished" out
step logs hello >out
cat out
expect "hello" out

step update --name hello --handler hello --time 4
step describe hello --json >out
expect '"com.ebpfaas.time": "4"' out
# Maps carried over by name and definition.
step map lookup hello stats 03000000 >out
expect "^07000000000000000800000000000000$" out

# The OpenFaaS template's function process against the same daemon.
if command -v curl >/dev/null 2>&1; then
	EBPFAAS_URL=$url EBPFAAS_PASSWORD=$(cat "$work/state/secrets/basic-auth-password") \
		EBPFAAS_FUNCTION=of-hello EBPFAAS_OBJECT="$work/build/hello/handler.o" Http_Query="time=1" \
		sh "$templates/openfaas/c-ebpf/ebpfaas-submit" invoke </dev/null >out
	cat out
	expect '"status":"finished"' out
	step rm of-hello
fi

step remove hello
step list >out
if grep -q "^hello " out; then echo "FAIL: hello still listed"; exit 1; fi
if "$cli" describe hello >out 2>&1; then echo "FAIL: describe after remove"; exit 1; fi
expect "HTTP 404" out
step logout
passed=1
echo "PASS"

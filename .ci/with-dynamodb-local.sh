#!/usr/bin/env bash
# Runs a command with ENCRATA_DYNAMODB_ENDPOINT pointing at AWS's DynamoDB Local, then stops it:
#   bash .ci/with-dynamodb-local.sh npx jest --selectProjects integration
# DynamoDB Local's JAR ships in the npm tarball amplify-dynamodb-simulator (under package/emulator). It is
# fetched with `npm pack` and unpacked, never installed (the package's dependencies are ~350 MB), and kept
# under .cache/ (git-ignored). It runs in memory, one database for every credential and region, without
# telemetry, on a free port. It has no option to choose its address and listens on every interface; it
# holds only this run's throw-away tables.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=2.9.30
DIR=".cache/dynamodb-local-$VERSION"

if [ ! -f "$DIR/DynamoDBLocal.jar" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "amplify-dynamodb-simulator@$VERSION" --silent >/dev/null)
  tar -xzf "$tmp/amplify-dynamodb-simulator-$VERSION.tgz" -C "$tmp" package/emulator
  mkdir -p "$(dirname "$DIR")"
  rm -rf "$DIR"
  mv "$tmp/package/emulator" "$DIR"
  rm -rf "$tmp"
fi

if ! command -v java >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi

NODE=./node_modules/.bin/node
PORT=$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
LOG=$(mktemp)
# From its own directory: it writes a metadata file into the working directory.
(cd "$DIR" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
  -inMemory -sharedDb -disableTelemetry -port "$PORT") >"$LOG" 2>&1 &
PID=$!
stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -f "$LOG"
}
trap stop EXIT

# Ready when it accepts connections.
listening() {
  "$NODE" -e "require('net').connect($PORT, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
}
ready=
for _ in $(seq 1 100); do
  if listening; then ready=1; break; fi
  if ! kill -0 "$PID" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  cat "$LOG" >&2
  echo "DynamoDB Local did not start" >&2
  exit 1
fi

echo "DynamoDB Local $(grep -m1 '^Version' "$LOG" | cut -f2) on 127.0.0.1:$PORT"
ENCRATA_DYNAMODB_ENDPOINT="http://127.0.0.1:$PORT" "$@"

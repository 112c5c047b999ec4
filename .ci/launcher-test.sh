#!/usr/bin/env bash
# Checks of the ./modernbert launcher that a JUnit test cannot make (they need the packaged build):
# a completed build is not rebuilt, two launchers started together build once and both run, and an
# old JDK gets one clear line. Run after './mvnw verify' (which packages the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "launcher test FAILED: $*" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# 1. after verify/package, the first run does not rebuild
./modernbert --version >"$out/first" 2>&1 || fail "modernbert --version: $(cat "$out/first")"
if grep -q "building" "$out/first"; then fail "rebuilt after a completed build"; fi
echo "ok: no rebuild after a completed build"

# 2. two launchers after a source change: one build, both run
touch examples/src/main/java/org/modernbert/examples/cli/ModernBertCli.java
./modernbert --version >"$out/a" 2>&1 & a=$!
./modernbert --version >"$out/b" 2>&1 & b=$!
wait $a || fail "first concurrent launcher: $(cat "$out/a")"
wait $b || fail "second concurrent launcher: $(cat "$out/b")"
builds=$(cat "$out/a" "$out/b" | grep -c "building" || true)
[ "$builds" = 1 ] || fail "expected one build for two concurrent launchers, saw $builds"
grep -q "modernbert-java" "$out/a" && grep -q "modernbert-java" "$out/b" || fail "a concurrent launcher did not run the CLI"
echo "ok: two concurrent launchers, one build"

# 3. an old JDK: one line naming the version and where it was found
mkdir -p "$out/jdk17/bin"
printf '#!/bin/sh\necho '"'"'openjdk version "17.0.2" 2022-01-18'"'"' >&2\n' >"$out/jdk17/bin/java"
chmod +x "$out/jdk17/bin/java"
set +e
msg="$(JAVA_HOME="$out/jdk17" MODERNBERT_JDK25_HOME=/nonexistent PATH="$out/jdk17/bin:/usr/bin:/bin" ./modernbert --version 2>&1)"
code=$?
set -e
[ $code -ne 0 ] || fail "an old JDK was accepted"
[ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] || fail "expected one line, got: $msg"
case "$msg" in
  *"needs JDK 25; found 17 at $out/jdk17/bin/java"*) echo "ok: old JDK refused in one line" ;;
  *) fail "unexpected message: $msg" ;;
esac
echo "launcher: 3 passed, 0 failed"

#!/usr/bin/env bash
# Checks of the ./modernbert and ./modernbert-spark launchers that a JUnit test cannot make (they need the packaged build):
# a completed build is not rebuilt, two launchers started together build once and both run, an old or
# missing JDK gets one clear line, and a touched pom is rebuilt once. Run after './mvnw verify' (which packages the CLI).
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

# 4. no JDK at all (JAVA_HOME pointing nowhere): the same one line, not a shell error
set +e
msg="$(env -i HOME="$HOME" PATH=/usr/bin:/bin JAVA_HOME=/nonexistent MODERNBERT_JDK25_HOME=/nonexistent bash ./modernbert --version 2>&1)"
code=$?
set -e
if command -v java >/dev/null && [ "$(PATH=/usr/bin:/bin java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p')" -ge 25 ] 2>/dev/null; then
  echo "skip: a JDK 25 is on /usr/bin, case 4 cannot be set up"
else
  [ $code = 1 ] || fail "without a JDK: exit $code, $msg"
  case "$msg" in
    "error: modernbert needs JDK 25; found "*"; set JAVA_HOME to a JDK 25 installation") echo "ok: no JDK 25 anywhere: one line" ;;
    *) fail "without a JDK: $msg" ;;
  esac
fi

# 5. touching a pom (Maven keeps unchanged outputs) costs one rebuild, not one per run
touch pom.xml
./modernbert --version >"$out/c" 2>&1 || fail "after touching pom.xml: $(cat "$out/c")"
./modernbert --version >"$out/d" 2>&1 || fail "second run after touching pom.xml: $(cat "$out/d")"
if grep -q "building" "$out/d"; then fail "rebuilt again on the run after a rebuild"; fi
echo "ok: a touched pom is rebuilt once"

# 6. ./modernbert-spark (the Spark job on local[N]): the issue's command; every generated_text equals ./modernbert generate
printf '%s\n' '{"id": 1, "text": "In the beginning"}' '{"id": 2, "text": "And God said"}' '{"id": 3, "text": "Let there be light"}' >"$out/prompts.jsonl"
./modernbert-spark --model examples/models/kjv-mbd-4m --task generate --input "$out/prompts.jsonl" --output "$out/spark-out" \
  --format json --max-new-tokens 16 --greedy >"$out/spark.log" 2>&1 || fail "modernbert-spark: $(cat "$out/spark.log")"
printf '%s\n' "In the beginning" "And God said" "Let there be light" |
  ./modernbert generate --greedy --max-new-tokens 16 --json 2>/dev/null >"$out/cli.jsonl" || fail "modernbert generate"
python3 - "$out" <<'PY' || fail "Spark's generated_text differs from ./modernbert generate"
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = sorted((json.loads(l) for p in (out / "spark-out").glob("part-*") for l in p.read_text().splitlines()), key=lambda r: r["id"])
cli = [json.loads(l)["generated_text"] for l in (out / "cli.jsonl").read_text().splitlines()]
assert len(rows) == 3 and [r["generated_text"] for r in rows] == cli, (rows, cli)
PY
echo "ok: ./modernbert-spark writes one row per prompt, each equal to ./modernbert generate"

# 7. a job that cannot run: one line, before Spark starts
set +e
msg="$(./modernbert-spark --model "$out/none" --task score --input "$out/prompts.jsonl" --output "$out/x" 2>&1 | grep -v '^WARNING: Using incubator')"
code=$?
set -e
[ "$msg" = "modernbert-spark: error: model folder $out/none does not exist or is not a directory" ] || fail "modernbert-spark bad model: $msg"
echo "ok: ./modernbert-spark refuses a missing model in one line"

# 8. ./modernbert bench on a tiny random checkpoint: one JSON object with every figure
cat >"$out/tiny-config.json" <<'JSON'
{"architectures": ["ModernBertDecoderForCausalLM"], "model_type": "modernbert-decoder",
 "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
 "num_attention_heads": 2, "local_attention": 32, "max_position_embeddings": 128,
 "pad_token_id": 3, "bos_token_id": 1, "eos_token_id": 2, "cls_token_id": 1, "sep_token_id": 2}
JSON
./modernbert init-random --config "$out/tiny-config.json" --dtype bf16 --output "$out/tiny" >"$out/init.log" 2>&1 ||
  fail "modernbert init-random: $(cat "$out/init.log")"
./modernbert bench --model "$out/tiny" --prompt-tokens 64 --new-tokens 8 --batch 2 --repetitions 1 --warmup 0 --json \
  >"$out/bench.json" 2>"$out/bench.log" || fail "modernbert bench: $(cat "$out/bench.log")"
python3 - "$out/bench.json" <<'PY' || fail "modernbert bench printed: $(cat "$out/bench.json")"
import json, sys
o = json.load(open(sys.argv[1]))
for k in ("prefill_tok_s", "ttft_ms", "decode_tok_s", "decode_batch_tok_s"):
    assert o[k]["median"] > 0, k
for k in ("prefill_gflop_s", "batch_speedup", "weight_bytes_per_token", "bandwidth_gb_s", "decode_roofline_tok_s",
          "decode_roofline_fraction", "fma_peak_gflop_s", "prefill_fma_fraction", "peak_heap_bytes", "flop_count_rule"):
    assert k in o, k
assert o["prompt_tokens"] == 64 and o["decode_batch"] == 2 and o["weight_format"] == "bf16", o
PY
echo "ok: ./modernbert bench prints one JSON object with every figure"

echo "launcher: 8 passed, 0 failed"

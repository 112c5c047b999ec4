# Sourced by the launchers (./modernbert, ./modernbert-spark), with $root set: exports JAVA_HOME of a JDK 25
# (JAVA_HOME, MODERNBERT_JDK25_HOME or the Temurin 25 path, then java on PATH), or prints one line and exits;
# defines lock_builds/unlock_builds, one lock for both launchers (their builds share core, api and backend-cpu).
java_version() { # prints the major version of the java binary $1 (e.g. 17, 25), or nothing
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
# MODERNBERT_JDK25_HOME: another place to look for JDK 25 (default: where our machines have it)
candidates+=("${MODERNBERT_JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java")
command -v java >/dev/null && candidates+=("$(readlink -f "$(command -v java)")")
found=""
selected=""
for j in "${candidates[@]}"; do
  [ -x "$j" ] || continue
  v="$(java_version "$j")"
  if [ -n "$v" ] && [ "$v" -ge 25 ]; then
    export JAVA_HOME="$(dirname "$(dirname "$j")")"
    selected=1
    break
  fi
  [ -z "$found" ] && found="${v:-an unknown version} at $j"
done
if [ -z "$selected" ]; then
  echo "error: modernbert needs JDK 25; found ${found:-no java}; set JAVA_HOME to a JDK 25 installation" >&2
  exit 1
fi

lock_builds() { # waits until no other launcher builds; fd 9 holds the lock
  mkdir -p "$root/target"
  exec 9>"$root/target/.launcher-build.lock"
  flock 9
}
unlock_builds() {
  flock -u 9
  exec 9>&-
}

# TornadoVM (backend "tornado"): with TORNADO_SDK pointing at a TornadoVM installation, the JVM gets its
# options from the installation's argfile (modules on --upgrade-module-path, JVMCI, exports); without it
# the backend reports itself unavailable and cpu stays the default. Bailouts to plain Java are errors:
# the kernels use KernelContext, which gives wrong numbers when run as Java.
tornado_args=()
tornado_preload=""
if [ -n "${TORNADO_SDK:-}" ]; then
  # PoCL and the LLVM it loads install SIGSEGV handlers that replace the JVM's, and the JVM raises SIGSEGV
  # itself (implicit null checks, safepoint polls): without signal chaining a JVM with TornadoVM started died
  # at random (9 of 45 generations on the cpu backend here). The JDK's libjsig keeps the JVM's handlers first.
  [ -f "$JAVA_HOME/lib/libjsig.so" ] && tornado_preload="$JAVA_HOME/lib/libjsig.so"
  if [ -f "$TORNADO_SDK/tornado.argfile" ]; then
    tornado_args=("@$TORNADO_SDK/tornado.argfile" -Dtornado.recover.bailout=False)
  elif [ -f "$TORNADO_SDK/tornado-argfile" ]; then # a full TornadoVM SDK after 'tornado --generate-argfile'
    tornado_args=("@$TORNADO_SDK/tornado-argfile" -Dtornado.recover.bailout=False)
  else
    echo "warning: TORNADO_SDK=$TORNADO_SDK has no tornado.argfile or tornado-argfile (run 'tornado --generate-argfile' there);" \
      "backend tornado stays unavailable" >&2
  fi
fi

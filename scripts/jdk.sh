# Finds a JDK that can build and run Cordon. Sourced by ./cordon and .ci/run.
#
# Looks, in order, at $JAVA_HOME, at `java` on the PATH, then at the JDKs under /usr/lib/jvm (newest
# first), and takes the first one of version 21 or newer. Sets CORDON_JAVA_HOME and CORDON_JAVA_VERSION
# (the feature number, such as 25), or prints what to install and returns 1.

cordon_jdk_version() {
  # Sets CORDON_JDK_FEATURE to the feature version of the JDK whose home is $1; returns 1 when it is not a
  # usable JDK. No subshell and, for a JDK with a release file, no process: every command pays for this.
  local home=$1 v="" line
  CORDON_JDK_FEATURE=""
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 1
  # The JDK's release file says it without starting a JVM (150 ms each, on every command); else ask java.
  if [ -r "$home/release" ]; then
    while IFS= read -r line; do
      case "$line" in
        JAVA_VERSION=*) v=${line#JAVA_VERSION=\"}; v=${v%%\"*}; break ;;
      esac
    done < "$home/release"
  fi
  case "$v" in
    1.*) ;;
    *) v=${v%%.*} ;;
  esac
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1)
  fi
  case "$v" in
    1.*) v=${v#1.} ;;
  esac
  case "$v" in
    ''|*[!0-9]*) return 1 ;;
  esac
  CORDON_JDK_FEATURE=$v
}

cordon_find_jdk() {
  local candidates=() home v java best_home="" best_v=0
  if [ -n "${JAVA_HOME:-}" ]; then
    candidates+=("$JAVA_HOME")
  fi
  if java=$(command -v java 2>/dev/null); then
    java=$(readlink -f "$java" 2>/dev/null || printf '%s' "$java")
    candidates+=("$(dirname "$(dirname "$java")")")
  fi
  for home in "${candidates[@]}"; do
    cordon_jdk_version "$home" || continue
    v=$CORDON_JDK_FEATURE
    if [ "$v" -ge 21 ]; then
      CORDON_JAVA_HOME=$home
      CORDON_JAVA_VERSION=$v
      return 0
    fi
  done
  # Neither JAVA_HOME nor the PATH has one: take the newest JDK installed under /usr/lib/jvm.
  for home in /usr/lib/jvm/*/; do
    home=${home%/}
    [ -L "$home" ] && continue
    cordon_jdk_version "$home" || continue
    v=$CORDON_JDK_FEATURE
    if [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then
      best_home=$home
      best_v=$v
    fi
  done
  if [ -n "$best_home" ]; then
    CORDON_JAVA_HOME=$best_home
    CORDON_JAVA_VERSION=$best_v
    return 0
  fi
  {
    echo "cordon: no JDK 21 or newer was found."
    echo "  Looked at: JAVA_HOME (${JAVA_HOME:-unset}), 'java' on the PATH, and /usr/lib/jvm/*."
    echo "  Install one, for example: apt-get install temurin-25-jdk (JDK 25 also lets guest code be"
    echo "  JIT-compiled) or apt-get install openjdk-21-jdk, then run this again or set JAVA_HOME."
  } >&2
  return 1
}

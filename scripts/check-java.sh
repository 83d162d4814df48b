#!/usr/bin/env bash
# Spark 4.1 needs Java 17 or newer. Say so plainly; as root on Debian, install the JRE.
set -euo pipefail
need=17
major() { java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'; }
if command -v java >/dev/null 2>&1 && [ "$(major)" -ge "$need" ]; then
  exit 0
fi
found=$(command -v java >/dev/null 2>&1 && echo "Java $(major)" || echo "no java on PATH")
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "check-java: Spark needs Java $need+, found $found; installing openjdk-$need-jre-headless" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "openjdk-$need-jre-headless" >/dev/null
  command -v java >/dev/null 2>&1 && [ "$(major)" -ge "$need" ] && exit 0
fi
echo "check-java: Spark needs Java $need or newer, found $found." >&2
echo "  Install a JDK/JRE $need+ (Debian/Ubuntu: apt-get install openjdk-$need-jre-headless;" >&2
echo "  macOS: brew install openjdk@$need) and put its java on PATH or set JAVA_HOME." >&2
exit 1

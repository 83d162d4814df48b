#!/usr/bin/env bash
# Make the pyspark wheel's launchers (.venv/bin/spark-submit, spark-class) use this venv.
#
# The wheel's find-spark-home resolves SPARK_HOME with whatever `python3` is first on
# PATH, and spark-submit starts the Python driver and workers with `python3` too: outside
# an activated venv both find a Python without pyspark. Point them at the venv's Python,
# and keep Spark on the loopback address.
set -euo pipefail
venv=${1:-.venv}
venv_abs=$(cd "$venv" && pwd)
python="$venv_abs/bin/python"
launcher="$venv_abs/bin/find-spark-home"
if ! grep -q 'baton: venv python' "$launcher"; then
  sed -i "s|PYSPARK_DRIVER_PYTHON=\"\${PYSPARK_PYTHON:-\"python3\"}\"|PYSPARK_DRIVER_PYTHON=\"\${PYSPARK_PYTHON:-\"$python\"}\"  # baton: venv python|" "$launcher"
  grep -q 'baton: venv python' "$launcher" || { echo "configure-spark: could not patch $launcher" >&2; exit 1; }
fi
spark_home=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
mkdir -p "$spark_home/conf"
cat > "$spark_home/conf/spark-env.sh" <<ENV
# Written by baton's scripts/configure-spark.sh
export PYSPARK_PYTHON="\${PYSPARK_PYTHON:-$python}"
export PYSPARK_DRIVER_PYTHON="\${PYSPARK_DRIVER_PYTHON:-$python}"
export SPARK_LOCAL_IP="\${SPARK_LOCAL_IP:-127.0.0.1}"
ENV
# Spark's default console log level is INFO under spark-submit: keep job output readable.
if [ ! -f "$spark_home/conf/log4j2.properties" ]; then
  cat > "$spark_home/conf/log4j2.properties" <<'LOG'
# Written by baton's scripts/configure-spark.sh
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
LOG
fi

#!/usr/bin/env bash
# Assembles a SPARK_HOME from Maven artifacts, for running a standalone Spark cluster where Spark is not installed:
# jars/ (Spark core, sql and mllib for the pom's Spark and Scala versions with their dependencies; Jackson 2.15 and
# slf4j 2.0 pinned as in Spark's own distribution, where plain Maven resolution would pick Avro's Jackson 2.14 and an
# slf4j 1.7), a RELEASE file (tells Spark's launcher that the jars are in jars/), bin/spark-class and bin/spark-submit
# (the two steps of Spark's own scripts: org.apache.spark.launcher.Main builds the java command line, which is then
# run), and conf/log4j2.properties at WARN. Idempotent: an existing complete folder is kept.
# usage: jobs/spark-home.sh [DIR]   (default out/spark-home; prints the folder)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$(mkdir -p "${1:-$root/out/spark-home}" && cd "${1:-$root/out/spark-home}" && pwd)"
spark_version="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$root/pom.xml")"
scala_binary="$(sed -n 's:.*<scala.binary.version>\(.*\)</scala.binary.version>.*:\1:p' "$root/pom.xml")"
slf4j_version="$(sed -n 's:.*<slf4j.version>\(.*\)</slf4j.version>.*:\1:p' "$root/pom.xml")"
marker="$home/jars/spark-core_${scala_binary}-${spark_version}.jar"

if [ ! -f "$marker" ] || [ ! -f "$home/RELEASE" ]; then
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  cat > "$build/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tsforge</groupId><artifactId>spark-home</artifactId><version>1</version><packaging>pom</packaging>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.fasterxml.jackson</groupId><artifactId>jackson-bom</artifactId><version>2.15.2</version>
      <type>pom</type><scope>import</scope></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${slf4j_version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_${scala_binary}</artifactId><version>${spark_version}</version></dependency>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-sql_${scala_binary}</artifactId><version>${spark_version}</version></dependency>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-mllib_${scala_binary}</artifactId><version>${spark_version}</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$home/jars"
  echo "[spark-home] resolving Spark ${spark_version} (Scala ${scala_binary}) into $home/jars ..." >&2
  (cd "$build" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$home/jars" -DincludeScope=runtime) >&2
  [ -f "$marker" ] || { echo "[spark-home] $marker is missing after the Maven copy" >&2; exit 1; }
  printf 'Spark %s built for Scala %s, assembled from Maven artifacts by tsforge jobs/spark-home.sh\n' \
    "$spark_version" "$scala_binary" > "$home/RELEASE"
fi

mkdir -p "$home/bin" "$home/conf"
cat > "$home/bin/spark-class" <<'SH'
#!/usr/bin/env bash
# Spark's bin/spark-class in short: the launcher library prints the java command (NUL-separated), which is run.
set -euo pipefail
export SPARK_HOME="${SPARK_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.12}"
export SPARK_CONF_DIR="${SPARK_CONF_DIR:-$SPARK_HOME/conf}"
# As in Spark's script: lines the launcher prints are passed on up to a line holding only NUL, after which the
# command follows NUL-separated, then the launcher's exit code.
cmd=(); started=false; delim=$'\n'
while IFS= read -r -d "$delim" arg; do
  if $started; then cmd+=("$arg"); elif [ -z "$arg" ]; then started=true; delim=''; else echo "$arg"; fi
done < <(java -Xmx128m ${SPARK_LAUNCHER_OPTS:-} -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"; printf '%d\0' $?)
n=${#cmd[@]}
[ "$n" -gt 1 ] && [ "${cmd[$((n - 1))]}" = 0 ] || { echo "spark-class: the launcher failed" >&2; exit 1; }
exec "${cmd[@]:0:$((n - 1))}"
SH
cat > "$home/bin/spark-submit" <<'SH'
#!/usr/bin/env bash
exec "$(dirname "${BASH_SOURCE[0]}")/spark-class" org.apache.spark.deploy.SparkSubmit "$@"
SH
chmod +x "$home/bin/spark-class" "$home/bin/spark-submit"
sed "s/^rootLogger.level = .*/rootLogger.level = ${SPARK_LOG_LEVEL:-warn}/" > "$home/conf/log4j2.properties" <<'LOG'
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
LOG
echo "$home"

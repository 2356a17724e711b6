#!/bin/bash
# Entrypoint of the mysql/mysql-server:5.7 stand-in (MariaDB). Same contract as the official image:
# on first start create the data directory, the root password, MYSQL_DATABASE and MYSQL_USER, run
# /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh, then run the server in the foreground.
set -euo pipefail

log() { echo "[Entrypoint] $*"; }

log "NOTE: this is a MariaDB $(mariadbd --version | awk '{print $3}') stand-in for mysql/mysql-server:5.7, built by Swarm Workbench"

if [ "${1:-}" = mysqld ]; then set -- mariadbd "${@:2}"; fi
if [ "${1:-}" != mariadbd ]; then exec "$@"; fi

# Values may also come from files (Docker secrets), as with the official image.
for var in MYSQL_ROOT_PASSWORD MYSQL_PASSWORD MYSQL_USER MYSQL_DATABASE; do
  file_var="${var}_FILE"
  if [ -n "${!file_var:-}" ]; then export "$var"="$(< "${!file_var}")"; fi
done

DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ]; then
    # mysql/mysql-server generates a random root password when none is given.
    MYSQL_ROOT_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi

  log "Initializing database"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve > /dev/null

  # A temporary server reachable only through a private socket while we set things up.
  SOCKET=/run/mysqld/init.sock
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$SOCKET" &
  pid=$!
  # Up to 3 minutes: a first start on a busy host (many learners, a node's one CPU) can take more
  # than 30 s, and giving up then only restarts the task into the same wait (swarm retries forever).
  ready=
  for _ in $(seq 360); do
    if mariadb-admin --socket="$SOCKET" ping > /dev/null 2>&1; then ready=1; break; fi
    if ! kill -0 "$pid" 2> /dev/null; then log "ERROR: the server stopped while initialising"; exit 1; fi
    sleep 0.5
  done
  if [ -z "$ready" ]; then log "ERROR: the server did not start within 3 minutes"; exit 1; fi

  sql() { mariadb --protocol=socket --socket="$SOCKET" -uroot "$@"; }
  esc() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g"; }

  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    # mariadb-install-db also creates root@<build hostname> etc.; keep root to localhost (as mysql-server).
    echo "DROP USER IF EXISTS ''@'localhost', 'root'@'127.0.0.1', 'root'@'::1';"
    echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS \\'\\'@\\'', @@hostname, '\\', root@\\'', @@hostname, '\\'');"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "${MYSQL_ROOT_PASSWORD:-}")';"
    if [ -n "${MYSQL_ROOT_HOST:-}" ] && [ "$MYSQL_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@'$(esc "$MYSQL_ROOT_HOST")' IDENTIFIED BY '$(esc "${MYSQL_ROOT_PASSWORD:-}")';"
      echo "GRANT ALL ON *.* TO 'root'@'$(esc "$MYSQL_ROOT_HOST")' WITH GRANT OPTION;"
    fi
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      # '%' so other containers (other swarm tasks) can connect.
      echo "CREATE USER '$(esc "$MYSQL_USER")'@'%' IDENTIFIED BY '$(esc "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$(esc "$MYSQL_USER")'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql

  PASS_ARGS=()
  if [ -n "${MYSQL_ROOT_PASSWORD:-}" ]; then PASS_ARGS=(-p"$MYSQL_ROOT_PASSWORD"); fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)     log "running $f"; . "$f" ;;
      *.sql)    log "running $f"; sql "${PASS_ARGS[@]}" ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} < "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | sql "${PASS_ARGS[@]}" ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
      *)        if [ -e "$f" ]; then log "ignoring $f"; fi ;;
    esac
  done

  mariadb-admin --socket="$SOCKET" -uroot "${PASS_ARGS[@]}" shutdown
  wait "$pid" || true
  log "Database initialized"
fi

log "Starting MySQL-compatible server (MariaDB) on 0.0.0.0:3306"
exec "$@" --user=mysql --datadir="$DATADIR"

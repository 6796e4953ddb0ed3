#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests: starts the local
# cluster if it is stopped, installs Debian's postgresql if there is none (trust auth on
# loopback, a database "test"). Exit 1 if it still cannot be reached.
set -uo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
start_cluster() {
  local v
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
}

if command -v pg_isready >/dev/null && ready; then exit 0; fi
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  start_cluster
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
if ! [ -d /etc/postgresql ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  for v in $(ls /etc/postgresql); do
    hba=/etc/postgresql/$v/main/pg_hba.conf
    # a throwaway test server: trust on loopback only
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    sed -i -E 's/^(local\s+all\s+(postgres|all)\s+)\S+/\1trust/' "$hba"
  done
  start_cluster
  for _ in $(seq 1 30); do ready && break; sleep 1; done
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || createdb -h 127.0.0.1 -U postgres test
fi
ready

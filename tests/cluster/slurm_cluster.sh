#!/usr/bin/env bash
# Start / stop a throw-away single-node SLURM cluster on this machine (for tests/cluster/run_slurm_test.sh).
#   slurm_cluster.sh start DIR   -> writes DIR/env.sh (source it: exports SLURM_CONF) and DIR/pids
#   slurm_cluster.sh stop DIR    -> kills the daemons it started (by PID) and removes DIR
# Daemons: munged, mariadbd (accounting database), slurmdbd, slurmctld, slurmd — all with their
# state, sockets and logs inside DIR, on non-default ports, running as root.
set -euo pipefail
cmd=$1; D=$(realpath -m "$2")

stop() {
  if [ -f "$D/etc_link" ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$D/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
  fi
  [ -f "$D/pids" ] || return 0
  tac "$D/pids" | while read -r name pid; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$D"
}

wait_for() {  # wait_for SECONDS CMD...
  local t=$1; shift
  for _ in $(seq $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "timed out waiting for: $*" >&2; return 1
}

start() {
  mkdir -p "$D"/{munge,mysql,state,spool,log,run}
  chmod 700 "$D/munge"
  : > "$D/pids"
  host=$(hostname -s)
  getent hosts "$host" > /dev/null || { echo "hostname $host does not resolve (add it to /etc/hosts)" >&2; return 1; }
  # --- munge
  dd if=/dev/urandom bs=1 count=1024 of="$D/munge/munge.key" status=none
  chmod 400 "$D/munge/munge.key"
  # SLURM 22.05's client commands (sacctmgr, sbatch) ignore AuthInfo=socket=…, so munged must use the
  # default socket; refuse to touch a munged that is already running there.
  MSOCK=/run/munge/munge.socket.2
  if [ -S "$MSOCK" ] && munge -n -S "$MSOCK" > /dev/null 2>&1; then
    echo "a munged is already running on $MSOCK; stop it first" >&2; return 1
  fi
  mkdir -p /run/munge
  munged --force --key-file="$D/munge/munge.key" --socket="$MSOCK" \
         --pid-file="$D/munge/munged.pid" --log-file="$D/log/munged.log" --seed-file="$D/munge/seed"
  wait_for 10 test -s "$D/munge/munged.pid"
  echo "munged $(cat "$D/munge/munged.pid")" >> "$D/pids"
  # --- mariadb for slurmdbd
  mariadb-install-db --no-defaults --datadir="$D/mysql" --user=root --auth-root-authentication-method=normal \
      > "$D/log/mariadb-install.log" 2>&1
  mariadbd --no-defaults --datadir="$D/mysql" --socket="$D/run/mysql.sock" --port=13306 \
      --bind-address=127.0.0.1 --user=root --pid-file="$D/run/mysql.pid" > "$D/log/mariadb.log" 2>&1 &
  echo "mariadbd $!" >> "$D/pids"
  wait_for 60 mariadb --no-defaults --socket="$D/run/mysql.sock" -uroot -e "select 1"
  mariadb --no-defaults --socket="$D/run/mysql.sock" -uroot -e \
    "create user 'slurm'@'127.0.0.1' identified by 'slurmpw'; grant all on slurm_acct_db.* to 'slurm'@'127.0.0.1'; flush privileges;"
  # --- slurmdbd
  cat > "$D/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$MSOCK
DbdHost=$host
DbdPort=16819
SlurmUser=root
LogFile=$D/log/slurmdbd.log
PidFile=$D/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=13306
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
  chmod 600 "$D/slurmdbd.conf"
  # --- slurm.conf
  cpus=$(nproc); mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024 ))
  cat > "$D/slurm.conf" <<CONF
ClusterName=qorepro
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$MSOCK
CredType=cred/munge
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$host
AccountingStoragePort=16819
AccountingStorageEnforce=associations
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$D/slurm.conf"
  echo "export SLURM_CONF=$D/slurm.conf" > "$D/env.sh"
  # snakemake-executor-plugin-slurm-jobstep strips every SLURM_* variable except the job's
  # identity before its inner `srun`, so SLURM_CONF does not reach it: link the default
  # location too (as on a real cluster), unless a real config is there.
  if [ -e /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" != "$D/slurm.conf" ]; then
    echo "/etc/slurm/slurm.conf exists (a real cluster config?); not overriding it" >&2; return 1
  fi
  mkdir -p /etc/slurm
  ln -sf "$D/slurm.conf" /etc/slurm/slurm.conf
  echo "/etc/slurm/slurm.conf" > "$D/etc_link"
  slurmdbd -D > "$D/log/slurmdbd.out" 2>&1 &   # reads slurmdbd.conf beside $SLURM_CONF
  echo "slurmdbd $!" >> "$D/pids"
  wait_for 60 sacctmgr -n list cluster
  sacctmgr -i add cluster qorepro > /dev/null
  sacctmgr -i add account qorepro-test Description=test Organization=test > /dev/null
  sacctmgr -i add user root Account=qorepro-test DefaultAccount=qorepro-test > /dev/null
  slurmctld -D -f "$D/slurm.conf" > "$D/log/slurmctld.out" 2>&1 &
  echo "slurmctld $!" >> "$D/pids"
  wait_for 60 scontrol ping
  slurmd -D -f "$D/slurm.conf" > "$D/log/slurmd.out" 2>&1 &
  echo "slurmd $!" >> "$D/pids"
  wait_for 60 bash -c "sinfo -h -o %T | grep -qx idle"
  echo "SLURM $(sinfo --version) up: $(sinfo -h -o '%P %D %T')"
}

case $cmd in
  start) if ! start; then echo "cluster start failed; logs in $D/log" >&2; tail -n 5 "$D"/log/*.log "$D"/log/*.out 2>/dev/null >&2; stop; exit 1; fi ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

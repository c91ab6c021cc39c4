#!/bin/sh
# minicloud's server installer: Docker, minicloud as a container on 80/443, and its shared services
# (Redis for the queue; MariaDB, PostgreSQL, RabbitMQ and Redis for add-ons), each with a generated password.
#   sudo sh scripts/install.sh --domain example.com --email me@example.com
#   curl -fsSL <url>/install.sh | sudo sh -s -- --domain example.com --email me@example.com
# Safe to re-run: it changes only what is missing or what its arguments changed. See --help.
set -eu

STATE=${MINICLOUD_STATE_DIR:-/var/lib/minicloud}  # minicloud's data dir, the same path inside its container and on the host
SRC_DIR=/opt/minicloud            # a clone of MINICLOUD_SOURCE, when the script runs without a checkout
NET_APPS=minicloud                # apps, minicloud and the add-on servers (the name minicloud's runtime uses)
NET_INTERNAL=minicloud-internal   # minicloud and the queue's Redis only: apps cannot reach it
DOCKER_MIN=20.10                  # Debian 12's docker.io; API 1.41
MIN_MEMORY_MB=${MINICLOUD_MIN_MEMORY_MB:-900}     # a "1 GB" server reports about 960 MB
MIN_DISK_MB=${MINICLOUD_MIN_DISK_MB:-5120}
OS_RELEASE=${MINICLOUD_OS_RELEASE:-/etc/os-release}
IMG_REDIS=${MINICLOUD_REDIS_IMAGE:-redis:7-bookworm}
IMG_MARIADB=${MINICLOUD_MARIADB_IMAGE:-mariadb:10.11}
IMG_POSTGRES=${MINICLOUD_POSTGRES_IMAGE:-postgres:15-bookworm}
IMG_RABBITMQ=${MINICLOUD_RABBITMQ_IMAGE:-rabbitmq:3-management}
LOG_OPTS="--log-driver json-file --log-opt max-size=10m --log-opt max-file=3"

DOMAIN='' EMAIL='' UNINSTALL=0 PURGE=0 PRINT_IMAGE=0
WITH_MARIADB=1 WITH_POSTGRES=1 WITH_RABBITMQ=1 WITH_REDIS=1

say() { printf -- '-----> %s\n' "$*"; }
detail() { printf '       %s\n' "$*"; }
# die REASON FIX: what is wrong and what to do about it, on stderr, exit 1.
die() {
  printf ' !     %s\n' "$1" >&2
  [ -z "${2:-}" ] || printf ' !     Fix: %s\n' "$2" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: sudo sh install.sh --domain DOMAIN [--email EMAIL] [options]
  --domain DOMAIN   apps are served at <app>.DOMAIN, the dashboard at https://admin.DOMAIN
  --email EMAIL     turn on Let's Encrypt certificates (the CA writes to EMAIL about expiries);
                    without it every name gets a self-signed certificate
  --no-mariadb, --no-postgres, --no-rabbitmq, --no-redis
                    leave that add-on server out (the queue's own Redis is always there)
  --uninstall       remove minicloud and its containers and networks; keeps /var/lib/minicloud
  --purge           with --uninstall: delete /var/lib/minicloud too (apps' data, backups, passwords)
  --print-image     print the image minicloud would run (built from this checkout) and exit
Environment: MINICLOUD_IMAGE (a published image instead of building the Dockerfile),
  MINICLOUD_SOURCE (git URL to build from when not run from a checkout), MINICLOUD_MIN_MEMORY_MB,
  MINICLOUD_MIN_DISK_MB, MINICLOUD_SKIP_OS_CHECK=1, DOCKER_HOST (unix socket of the engine to use),
  MINICLOUD_STATE_DIR (instead of /var/lib/minicloud).
Your own minicloud settings go in /var/lib/minicloud/settings.env (KEY=value lines; kept across re-runs).
EOF
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --domain) [ $# -ge 2 ] || die "--domain needs a value" "e.g. --domain example.com"; DOMAIN=$2; shift ;;
      --domain=*) DOMAIN=${1#*=} ;;
      --email) [ $# -ge 2 ] || die "--email needs a value" "e.g. --email me@example.com"; EMAIL=$2; shift ;;
      --email=*) EMAIL=${1#*=} ;;
      --no-mariadb) WITH_MARIADB=0 ;;
      --no-postgres) WITH_POSTGRES=0 ;;
      --no-rabbitmq) WITH_RABBITMQ=0 ;;
      --no-redis) WITH_REDIS=0 ;;
      --uninstall) UNINSTALL=1 ;;
      --purge) PURGE=1 ;;
      --print-image) PRINT_IMAGE=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option: $1" "see sh install.sh --help" ;;
    esac
    shift
  done
  [ "$PURGE" = 0 ] || [ "$UNINSTALL" = 1 ] || die "--purge only goes with --uninstall" "sudo sh install.sh --uninstall --purge"
  [ "$UNINSTALL" = 1 ] || [ "$PRINT_IMAGE" = 1 ] && return 0
  [ -n "$DOMAIN" ] || die "no domain given" "sudo sh install.sh --domain example.com --email me@example.com (point *.example.com and example.com at this server)"
  DOMAIN=$(printf %s "$DOMAIN" | tr '[:upper:]' '[:lower:]')
  case $DOMAIN in
    *[!a-z0-9.-]*|.*|*..*|*.|-*) die "--domain $DOMAIN is not a domain name" "e.g. --domain apps.example.com" ;;
  esac
  if [ -n "$EMAIL" ]; then
    case $EMAIL in
      *[[:space:]]*|*@*@*|@*|*@) die "--email $EMAIL is not an email address" "e.g. --email ops@example.com" ;;
      *@*.*) ;;
      *) die "--email $EMAIL is not an email address" "e.g. --email ops@example.com" ;;
    esac
  fi
}

# ---- checks: each refusal says why and what to do ------------------------------------------------------

check_root() {
  [ "$(id -u)" = 0 ] || die "the installer must run as root (it installs packages, binds ports 80 and 443 and writes $STATE)" \
    "run it with sudo: sudo sh install.sh $*"
}

check_os() {
  [ "${MINICLOUD_SKIP_OS_CHECK:-0}" = 1 ] && return 0
  [ -r "$OS_RELEASE" ] || die "cannot tell which operating system this is ($OS_RELEASE is missing)" \
    "use Debian 12 or Ubuntu 24.04, or set MINICLOUD_SKIP_OS_CHECK=1 to try anyway"
  # shellcheck disable=SC1090 # os-release is a shell fragment by definition
  os=$(. "$OS_RELEASE" && printf '%s %s' "${ID:-}" "${VERSION_ID:-}")
  # shellcheck disable=SC1090
  name=$(. "$OS_RELEASE" && printf %s "${PRETTY_NAME:-$os}")
  case $os in
    'debian 12'|'ubuntu 24.04') ;;
    *) die "unsupported operating system: $name (supported: Debian 12, Ubuntu 24.04)" \
         "install on Debian 12 or Ubuntu 24.04, or set MINICLOUD_SKIP_OS_CHECK=1 to try anyway" ;;
  esac
}

check_resources() {
  mem=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  [ "$mem" -ge "$MIN_MEMORY_MB" ] || die "not enough memory: ${mem} MB, minicloud needs at least ${MIN_MEMORY_MB} MB" \
    "use a server with 1 GB of memory or more (or set MINICLOUD_MIN_MEMORY_MB=$mem to install anyway)"
  dir=$STATE
  while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
  disk=$(df -Pm "$dir" | awk 'NR == 2 { print $4 }')
  [ "$disk" -ge "$MIN_DISK_MB" ] || die "not enough free disk on $dir: ${disk} MB, minicloud needs at least ${MIN_DISK_MB} MB (images, builds, backups)" \
    "free some space or grow the disk (or set MINICLOUD_MIN_DISK_MB=$disk to install anyway)"
}

# The process listening on a TCP port, as ss names it: "nginx (pid 123)", or nothing.
port_holder() {
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1
}

check_ports() {
  # Our own containers (a re-run) hold them through docker-proxy: that is not a conflict.
  for own in minicloud-router minicloud; do
    [ "$(docker_ container inspect -f '{{.State.Running}}' "$own" 2>/dev/null || true)" = true ] && return 0
  done
  for port in 80 443; do
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
      who=$(port_holder "$port")
      die "port $port is taken by ${who:-another process} (ss -ltnp 'sport = :$port'); minicloud serves apps on 80 and 443" \
        "stop and disable it (e.g. systemctl disable --now nginx apache2 caddy), then run the installer again"
    fi
  done
}

# Who holds an apt/dpkg lock, as "pid (name)", or nothing.
apt_lock_holder() {
  for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock; do
    [ -e "$f" ] || continue
    if command -v fuser >/dev/null 2>&1; then
      pid=$(fuser "$f" 2>/dev/null | tr -s ' ' '\n' | grep -m 1 '[0-9]' || true)
    else
      inode=$(stat -c %i "$f")
      pid=$(awk -v i=":$inode" '{ for (n = 1; n <= NF; n++) if ($n ~ i "$") { print $5; exit } }' /proc/locks)
    fi
    pid=$(printf %s "${pid:-}" | tr -cd 0-9)
    if [ -n "$pid" ]; then
      printf '%s (%s)' "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null || echo unknown)"
      return 0
    fi
  done
}

check_apt_lock() {
  who=$(apt_lock_holder)
  [ -z "$who" ] || die "the apt lock is held by process $who: another package install or unattended-upgrades is running" \
    "wait for it to finish (ps -p ${who%% *}), then run the installer again"
}

# ---- Docker -----------------------------------------------------------------------------------------------

# The engine's unix socket: DOCKER_HOST's when it names one, else the default. It is mounted into minicloud.
docker_socket() {
  case ${DOCKER_HOST:-} in
    unix://*) printf %s "${DOCKER_HOST#unix://}" ;;
    '') printf /var/run/docker.sock ;;
    *) die "DOCKER_HOST=$DOCKER_HOST is not a unix socket; minicloud's container needs the engine's socket" \
         "unset DOCKER_HOST to use the local engine, or point it at a unix:// socket" ;;
  esac
}

docker_() { docker "$@"; }
engine_version() { docker_ version --format '{{.Server.Version}}' 2>/dev/null || true; }

# version_ge A B: A >= B, comparing major.minor numerically ("26.1.3", "20.10.24+dfsg1").
version_ge() {
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, /[.+~-]/); split(b, y, /[.+~-]/)
    exit !((x[1] + 0 > y[1] + 0) || (x[1] + 0 == y[1] + 0 && x[2] + 0 >= y[2] + 0)) }'
}

install_docker() {
  command -v apt-get >/dev/null 2>&1 || die "no Docker engine answers and apt-get is missing" \
    "install Docker $DOCKER_MIN or later and start it, then run the installer again"
  check_apt_lock
  # Log rotation for every container of an engine the installer sets up (never over an existing config).
  if [ ! -e /etc/docker/daemon.json ]; then
    mkdir -p /etc/docker
    printf '{\n  "log-driver": "json-file",\n  "log-opts": { "max-size": "10m", "max-file": "3" }\n}\n' > /etc/docker/daemon.json
    detail "wrote /etc/docker/daemon.json (container logs rotate at 10 MB, 3 files)"
  fi
  say "Installing Docker (apt-get install docker.io)"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 install -y -qq docker.io >/dev/null
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl enable --now docker >/dev/null 2>&1 || true; fi
  i=0
  while [ -z "$(engine_version)" ]; do
    i=$((i + 1))
    [ "$i" -le 60 ] || die "Docker was installed but its engine does not answer after 60 s" "systemctl status docker; journalctl -u docker"
    sleep 1
  done
}

ensure_docker() {
  if ! command -v docker >/dev/null 2>&1 || [ -z "$(engine_version)" ]; then
    if command -v docker >/dev/null 2>&1 && [ -S "$(docker_socket)" ]; then
      die "a Docker engine is installed but does not answer on $(docker_socket)" "start it: systemctl start docker (journalctl -u docker says why it stopped)"
    fi
    install_docker
  fi
  v=$(engine_version)
  version_ge "$v" "$DOCKER_MIN" || die "Docker engine $v is too old: minicloud needs $DOCKER_MIN or later (API 1.41)" \
    "upgrade Docker (apt-get install docker.io on Debian 12 / Ubuntu 24.04 gives a recent one), then run the installer again"
  detail "Docker engine $v"
}

# ---- state, secrets, containers ---------------------------------------------------------------------------

secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# write_once FILE CONTENT: creates FILE (mode 0600) unless it exists; existing state is never overwritten.
write_once() {
  [ -e "$1" ] && return 0
  (umask 077 && printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1")
  detail "created $1 (mode 0600)"
}

# The password a service's secret file holds (a KEY=value line, or a redis.conf `requirepass` line).
password_of() { sed -n 's/^[A-Z_]*PASS[A-Z_]*=//p; s/^requirepass //p' "$STATE/secrets/$1" | head -n 1; }

prepare_state() {
  mkdir -p "$STATE/secrets" "$STATE/services"
  chmod 700 "$STATE" "$STATE/secrets"
  # minicloud reads the admin token from here; made now so that it is never printed (to docker logs or a terminal).
  write_once "$STATE/admin.token" "$(secret)"
  write_once "$STATE/settings.env" "# Your own minicloud settings (KEY=value), e.g. MINICLOUD_ROUTER_WORKERS=2; the installer never rewrites this file."
  write_once "$STATE/secrets/redis.conf" "requirepass $(secret)"
  [ "$WITH_REDIS" = 0 ] || write_once "$STATE/secrets/redis-addons.conf" "requirepass $(secret)"
  [ "$WITH_MARIADB" = 0 ] || write_once "$STATE/secrets/mariadb.env" "MARIADB_ROOT_PASSWORD=$(secret)"
  [ "$WITH_POSTGRES" = 0 ] || write_once "$STATE/secrets/postgres.env" "POSTGRES_PASSWORD=$(secret)"
  [ "$WITH_RABBITMQ" = 0 ] || write_once "$STATE/secrets/rabbitmq.env" "RABBITMQ_DEFAULT_USER=minicloud
RABBITMQ_DEFAULT_PASS=$(secret)"
}

ensure_network() {  # ensure_network NAME [docker network create options]
  name=$1; shift
  docker_ network inspect "$name" >/dev/null 2>&1 && return 0
  # The label is the one minicloud's own runtime gives the network it makes.
  docker_ network create "$@" --label minicloud.network=1 --label minicloud.installer=1 "$name" >/dev/null
  detail "created network $name"
}

# ensure_container NAME IMAGE RUN-ARGS...: creates and starts a container from RUN-ARGS (options, the image, its
# command) unless the one the installer made with the same arguments and image exists (then it is only started if stopped);
# changed arguments or a new image re-create it (its data is bind-mounted, so it survives).
ensure_container() {
  name=$1 image=$2; shift 2
  hash=$(printf '%s\n' "$image" "$@" "$(docker_ image inspect -f '{{.Id}}' "$image" 2>/dev/null)" | sha256sum | cut -c1-16)
  if docker_ container inspect "$name" >/dev/null 2>&1; then
    [ "$(docker_ container inspect -f '{{index .Config.Labels "minicloud.installer"}}' "$name")" = 1 ] ||
      die "a container named $name exists that the installer did not make" "rename or remove it (docker rm -f $name), then run the installer again"
    if [ "$(docker_ container inspect -f '{{index .Config.Labels "minicloud.config"}}' "$name")" = "$hash" ]; then
      [ "$(docker_ container inspect -f '{{.State.Running}}' "$name")" = true ] || { docker_ start "$name" >/dev/null; detail "started $name"; }
      return 0
    fi
    if [ -n "${KEEP_PREVIOUS:-}" ]; then
      # Kept (stopped) until the new one is up: the way back if it does not come up (see upgrade_or_back).
      docker_ rm -f "$name-previous" >/dev/null 2>&1 || true
      docker_ stop -t 30 "$name" >/dev/null
      docker_ rename "$name" "$name-previous"
      PREVIOUS=$name-previous
      backup_db   # only minicloud's container is kept so: its database, before the new one migrates it
    else
      docker_ rm -f "$name" >/dev/null
    fi
    detail "re-creating $name (its settings changed)"
  fi
  # shellcheck disable=SC2086 # LOG_OPTS is a list of options
  docker_ create --name "$name" --restart unless-stopped $LOG_OPTS \
    --label minicloud.installer=1 --label "minicloud.config=$hash" "$@" >/dev/null
  # A second network (minicloud's internal one) is joined before the first start, so it is there from the start.
  if [ -n "${EXTRA_ALIAS:-}" ]; then docker_ network connect --alias "$EXTRA_ALIAS" "$EXTRA_NETWORK" "$name"
  elif [ -n "${EXTRA_NETWORK:-}" ]; then docker_ network connect "$EXTRA_NETWORK" "$name"; fi
  docker_ start "$name" >/dev/null
  detail "started $name ($image)"
}

have_image() { docker_ image inspect "$1" >/dev/null 2>&1; }

pull_image() {
  have_image "$1" && return 0
  say "Pulling $1"
  docker_ pull -q "$1" >/dev/null || die "cannot pull $1" "check this server reaches its registry, or load the image (docker load) and run the installer again"
}

# A Redis with its password in a config file (the official image has no password variable); the image's
# redis user (uid 999) reads it.
redis_container() {  # redis_container NAME NETWORK
  chown 999:999 "$STATE/secrets/$1.conf"
  mkdir -p "$STATE/services/$1"
  ensure_container "minicloud-$1" "$IMG_REDIS" --network "$2" \
    -v "$STATE/secrets/$1.conf:/usr/local/etc/redis/redis.conf:ro" -v "$STATE/services/$1:/data" \
    "$IMG_REDIS" redis-server /usr/local/etc/redis/redis.conf --appendonly yes --dir /data
}

# A service left out now but installed by an earlier run keeps running (and holding apps' data): say so.
left_out() {  # left_out NAME
  if docker_ container inspect "minicloud-$1" >/dev/null 2>&1; then
    detail "minicloud-$1 from an earlier install is left as it is (add-ons of apps on it stop being managed); docker rm -f minicloud-$1 removes it, its data stays in $STATE/services/$1"
  fi
}

start_services() {
  say "Shared services (network $NET_APPS; passwords in $STATE/secrets)"
  ensure_network "$NET_APPS"
  ensure_network "$NET_INTERNAL" --internal
  pull_image "$IMG_REDIS"
  redis_container redis "$NET_INTERNAL"
  if [ "$WITH_REDIS" = 1 ]; then redis_container redis-addons "$NET_APPS"; else left_out redis-addons; fi
  [ "$WITH_MARIADB" = 1 ] || left_out mariadb
  [ "$WITH_POSTGRES" = 1 ] || left_out postgres
  [ "$WITH_RABBITMQ" = 1 ] || left_out rabbitmq
  if [ "$WITH_MARIADB" = 1 ]; then
    pull_image "$IMG_MARIADB"; mkdir -p "$STATE/services/mariadb"
    ensure_container minicloud-mariadb "$IMG_MARIADB" --network "$NET_APPS" --env-file "$STATE/secrets/mariadb.env" \
      -v "$STATE/services/mariadb:/var/lib/mysql" "$IMG_MARIADB"
  fi
  if [ "$WITH_POSTGRES" = 1 ]; then
    pull_image "$IMG_POSTGRES"; mkdir -p "$STATE/services/postgres"
    ensure_container minicloud-postgres "$IMG_POSTGRES" --network "$NET_APPS" --env-file "$STATE/secrets/postgres.env" \
      -v "$STATE/services/postgres:/var/lib/postgresql/data" "$IMG_POSTGRES"
  fi
  if [ "$WITH_RABBITMQ" = 1 ]; then
    pull_image "$IMG_RABBITMQ"; mkdir -p "$STATE/services/rabbitmq"
    # A fixed hostname: RabbitMQ keeps its data under its node name, which comes from the hostname.
    ensure_container minicloud-rabbitmq "$IMG_RABBITMQ" --network "$NET_APPS" --hostname minicloud-rabbitmq \
      --env-file "$STATE/secrets/rabbitmq.env" -v "$STATE/services/rabbitmq:/var/lib/rabbitmq" "$IMG_RABBITMQ"
  fi
}

# minicloud's settings, made from the arguments and the services' passwords. The add-on servers' URLs name
# their containers on the apps' network: minicloud and app containers (and host-process apps inside
# minicloud's container) all resolve them there. Mode 0600: it holds the passwords.
write_env() {
  f=$STATE/secrets/minicloud.env
  {
    echo "MINICLOUD_DATA=$STATE"
    echo "MINICLOUD_DOMAIN=$DOMAIN"
    echo "MINICLOUD_HTTP_PORT=80"
    echo "MINICLOUD_HTTPS_PORT=443"
    echo "MINICLOUD_DOCKER_NETWORK=$NET_APPS"
    # The router is its own container (minicloud-router), which reaches the API on the internal network.
    echo "MINICLOUD_ROUTER=external"
    echo "MINICLOUD_BIND=minicloud-api"
    # Each app's containers on a network of their own, joined by these only: apps cannot reach one another.
    echo "MINICLOUD_DOCKER_PEERS=$(peers | tr ' ' ',')"
    [ -z "$EMAIL" ] || echo "MINICLOUD_ACME_EMAIL=$EMAIL"
    echo "REDIS_URL=redis://:$(password_of redis.conf)@minicloud-redis:6379"
    [ "$WITH_REDIS" = 0 ] || echo "MINICLOUD_REDIS_ADDON_URL=redis://:$(password_of redis-addons.conf)@minicloud-redis-addons:6379"
    [ "$WITH_MARIADB" = 0 ] || echo "MINICLOUD_MARIADB_URL=mysql://root:$(password_of mariadb.env)@minicloud-mariadb:3306"
    [ "$WITH_POSTGRES" = 0 ] || echo "MINICLOUD_POSTGRES_URL=postgres://postgres:$(password_of postgres.env)@minicloud-postgres:5432/postgres"
    [ "$WITH_RABBITMQ" = 0 ] || echo "MINICLOUD_RABBITMQ_URL=amqp://minicloud:$(password_of rabbitmq.env)@minicloud-rabbitmq:5672"
  } | (umask 077 && cat > "$f.new")
  if [ -e "$f" ] && cmp -s "$f" "$f.new"; then rm -f "$f.new"; else mv "$f.new" "$f"; detail "wrote $f"; fi
}

# The containers every app's own network is joined by: minicloud (health checks), the router, the add-on servers.
peers() {
  printf 'minicloud minicloud-router'
  [ "$WITH_MARIADB" = 0 ] || printf ' minicloud-mariadb'
  [ "$WITH_POSTGRES" = 0 ] || printf ' minicloud-postgres'
  [ "$WITH_RABBITMQ" = 0 ] || printf ' minicloud-rabbitmq'
  [ "$WITH_REDIS" = 0 ] || printf ' minicloud-redis-addons'
}

# A re-created peer (an upgrade, changed settings) joins the apps' networks again; minicloud joins new ones itself.
join_app_networks() {
  for net in $(docker_ network ls -q --filter label=minicloud.app); do
    for peer in $(peers); do
      docker_ network connect "$net" "$peer" >/dev/null 2>&1 && detail "joined $peer to $(docker_ network inspect -f '{{.Name}}' "$net")"
    done
  done
  return 0
}

# The checkout this script is in, if it is one (not when piped into sh).
checkout_dir() {
  case $0 in */*) d=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd) || return 0 ;; *) return 0 ;; esac
  [ -f "$d/Dockerfile" ] && grep -q '"name": "minicloud"' "$d/package.json" 2>/dev/null && printf %s "$d"
  return 0
}

# minicloud/server:<hash of the files the Dockerfile copies>, for the checkout in $1.
image_tag() {
  printf 'minicloud/server:%s' "$(cd "$1" && find Dockerfile .dockerignore package.json package-lock.json tsconfig.json README.md \
    src proxy buildpacks catalog scripts -type f 2>/dev/null | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
}

# Piped into sh there is no checkout to build: a published image or a git URL must say what to run.
check_source() {
  [ -n "${MINICLOUD_IMAGE:-}" ] || [ -n "$(checkout_dir)" ] || [ -n "${MINICLOUD_SOURCE:-}" ] || [ -d "$SRC_DIR/.git" ] ||
    die "not run from a minicloud checkout, and neither MINICLOUD_SOURCE nor MINICLOUD_IMAGE says what to run" \
      "curl ... | sudo MINICLOUD_SOURCE=<minicloud's git URL> sh -s -- --domain ..., or run scripts/install.sh from a clone"
}

# The image minicloud runs from: MINICLOUD_IMAGE, else the Dockerfile of the checkout (or of a clone of
# MINICLOUD_SOURCE), tagged by a hash of the files it copies, so an unchanged checkout is not rebuilt.
minicloud_image() {
  if [ -n "${MINICLOUD_IMAGE:-}" ]; then pull_image "$MINICLOUD_IMAGE"; IMAGE=$MINICLOUD_IMAGE; return 0; fi
  src=$(checkout_dir)
  if [ -z "$src" ]; then
    # Cloned once; a re-run builds the same tree (to upgrade: git -C /opt/minicloud pull, then run the installer).
    if [ ! -d "$SRC_DIR/.git" ]; then
      command -v git >/dev/null 2>&1 || { check_apt_lock; DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 install -y -qq git >/dev/null; }
      git clone -q --depth 1 "$MINICLOUD_SOURCE" "$SRC_DIR"
      : > "$SRC_DIR/.installer-clone"   # ours to remove on --uninstall (a clone of the user's own is not)
      detail "cloned $MINICLOUD_SOURCE into $SRC_DIR"
    fi
    src=$SRC_DIR
  fi
  IMAGE=$(image_tag "$src")
  have_image "$IMAGE" && return 0
  say "Building minicloud's image from $src/Dockerfile ($IMAGE)"
  docker_ build -q -t "$IMAGE" "$src" >/dev/null || die "building minicloud's image failed" "run docker build -t minicloud $src to see why"
}

start_minicloud() {
  minicloud_image
  say "minicloud (container minicloud, image $IMAGE)"
  sock=$(docker_socket)
  # The queue's Redis is on the internal network only: minicloud joins it too (as minicloud-api, where the
  # router reaches the API), apps never do. No ports: the router's container holds 80 and 443.
  PREVIOUS=
  EXTRA_NETWORK=$NET_INTERNAL EXTRA_ALIAS=minicloud-api KEEP_PREVIOUS=1 ensure_container minicloud "$IMAGE" --network "$NET_APPS" \
    --env-file "$STATE/secrets/minicloud.env" --env-file "$STATE/settings.env" \
    --label "minicloud.env=$(cat "$STATE/secrets/minicloud.env" "$STATE/settings.env" | sha256sum | cut -c1-16)" \
    -v "$STATE:$STATE" -v "$sock:/var/run/docker.sock" "$IMAGE"
}

# A hash of the router's code in an image (what its daemon and workers load).
router_code() {
  docker_ run --rm --entrypoint sh "$1" -c \
    'find proxy src/routes src/core -type f -name "*.ts" | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16'
}

# The router: a container of its own holding ports 80 and 443, so that minicloud's restarts and upgrades (a new
# minicloud container) never refuse a request; it serves on with the last table minicloud gave it. Its image
# changes only when the router's own code does: a minicloud upgrade leaves it running.
start_router() {
  mkdir -p "$STATE/router" "$STATE/logs"
  chmod 700 "$STATE/router"
  code=$(router_code "$IMAGE")
  old=$(docker_ container inspect -f '{{index .Config.Labels "minicloud.router-code"}} {{.Config.Image}}' minicloud-router 2>/dev/null || true)
  rimage=$IMAGE
  if [ "${old%% *}" = "$code" ] && have_image "${old#* }"; then rimage=${old#* }; fi
  say "The router (container minicloud-router, image $rimage)"
  EXTRA_NETWORK=$NET_INTERNAL ensure_container minicloud-router "$rimage" --network "$NET_APPS" \
    --label "minicloud.router-code=$code" -v "$STATE/router:$STATE/router" -v "$STATE/logs:$STATE/logs" --tmpfs /data \
    -p 80:80 -p 443:443 "$rimage" node dist/proxy/daemon/main.js "$STATE/router" --wait
}

# minicloud says it is up (since its container's last start), and the router answers on port 80.
answers() {
  since=$(docker_ container inspect -f '{{.State.StartedAt}}' minicloud)
  docker_ logs --since "$since" minicloud 2>&1 | grep -q 'minicloud is up' || return 1
  if command -v curl >/dev/null 2>&1; then curl -s -o /dev/null --max-time 2 http://127.0.0.1/; fi
}

# Waits until minicloud answers on port 80 (any HTTP answer), printing its log if it stops first.
ready() {
  i=0
  until answers; do
    i=$((i + 1))
    # Exited, or restarted by the engine (it crashed at start): it will not come up by waiting.
    state=$(docker_ container inspect -f '{{.State.Running}} {{.RestartCount}}' minicloud)
    if [ "$i" -gt 120 ] || [ "$state" != "true 0" ]; then
      docker_ logs --tail 30 minicloud 2>&1 | grep -v -i token >&2 || true
      return 1
    fi
    sleep 1
  done
}

wait_ready() {
  ready || die "minicloud did not come up on port 80" "docker logs minicloud says why; fix it and run the installer again"
}

# After a re-created minicloud container (a new image: an upgrade, or changed settings): up, and the previous one
# goes; not up, and the previous one comes back with the database as it was. The router serves throughout.
upgrade_or_back() {
  if [ -z "${PREVIOUS:-}" ]; then wait_ready; return 0; fi
  if ready; then
    docker_ rm -f "$PREVIOUS" >/dev/null
    rm -rf "$STATE/upgrade-backup"
    return 0
  fi
  old=$(docker_ container inspect -f '{{.Config.Image}}' "$PREVIOUS")
  say "The new minicloud did not come up: going back to $old"
  docker_ rm -f minicloud >/dev/null
  for f in "$STATE/upgrade-backup"/minicloud.db*; do [ -e "$f" ] && cp -p "$f" "$STATE/"; done
  docker_ rename "$PREVIOUS" minicloud
  docker_ start minicloud >/dev/null
  ready || die "neither the new minicloud nor the previous one came up" "docker logs minicloud says why"
  rm -rf "$STATE/upgrade-backup"
  die "the new minicloud ($IMAGE) did not come up; the previous one ($old) is back, its database as before" \
    "its last lines are above; fix the image or settings, then run the installer again"
}

# The database as it was, before a new minicloud migrates it (taken while the old one is stopped).
backup_db() {
  rm -rf "$STATE/upgrade-backup"
  mkdir -p "$STATE/upgrade-backup"
  chmod 700 "$STATE/upgrade-backup"
  for f in "$STATE"/minicloud.db*; do [ -e "$f" ] && cp -p "$f" "$STATE/upgrade-backup/"; done
  return 0
}

# ---- uninstall ----------------------------------------------------------------------------------------------

uninstall() {
  if ! command -v docker >/dev/null 2>&1 || [ -z "$(engine_version)" ]; then
    say "No Docker engine answers: no minicloud containers to remove"
  else
    say "Removing minicloud's containers"
    # The installer's own (labelled minicloud.installer=1), and the apps' containers minicloud started.
    for id in $(docker_ ps -aq --filter label=minicloud.installer=1) $(docker_ ps -aq --filter label=minicloud.app); do
      detail "removing $(docker_ container inspect -f '{{.Name}}' "$id" | tr -d /)"
      docker_ rm -f -v "$id" >/dev/null
    done
    # Its own and those minicloud made (the apps', the builds'): all labelled minicloud.network.
    for net in $(docker_ network ls -q --filter label=minicloud.network); do
      name=$(docker_ network inspect -f '{{.Name}}' "$net")
      docker_ network rm "$net" >/dev/null && detail "removed network $name"
    done
    for img in $(docker_ images -q minicloud/server); do docker_ rmi -f "$img" >/dev/null 2>&1 || true; done
  fi
  [ ! -f "$SRC_DIR/.installer-clone" ] || { rm -rf "$SRC_DIR"; detail "removed $SRC_DIR (the installer's clone)"; }
  if [ "$PURGE" = 1 ]; then
    rm -rf "$STATE"
    say "Deleted $STATE (apps' data, backups, add-on databases, passwords)"
  elif [ -d "$STATE" ]; then
    say "Kept $STATE (apps' data, backups, add-on databases, passwords): sudo sh install.sh --uninstall --purge deletes it"
  fi
  say "minicloud is uninstalled (Docker itself stays installed)"
}

main() {
  parse_args "$@"
  if [ "$PRINT_IMAGE" = 1 ]; then
    if [ -n "${MINICLOUD_IMAGE:-}" ]; then echo "$MINICLOUD_IMAGE"; else src=$(checkout_dir); [ -n "$src" ] || die "not run from a checkout"; image_tag "$src"; echo; fi
    return 0
  fi
  check_root "$@"
  if [ "$UNINSTALL" = 1 ]; then uninstall; return 0; fi
  check_source
  check_os
  check_resources
  check_ports
  say "Installing minicloud for $DOMAIN"
  ensure_docker
  prepare_state
  start_services
  write_env
  start_minicloud
  start_router
  join_app_networks
  upgrade_or_back
  say "minicloud is up"
  detail "Dashboard and API: https://admin.$DOMAIN (point $DOMAIN and *.$DOMAIN at this server)"
  detail "Admin token: in $STATE/admin.token (sudo cat $STATE/admin.token; it is printed nowhere else)"
  if [ -n "$EMAIL" ]; then detail "Certificates: Let's Encrypt, for $EMAIL"; else detail "Certificates: self-signed (give --email for Let's Encrypt)"; fi
  detail "Settings: $STATE/settings.env (then run the installer again); logs: docker logs minicloud"
}

main "$@"

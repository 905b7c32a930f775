#!/usr/bin/env bash
# Writes the help2man include file for the man page: one section per command, from the CLI's
# own --help, so the page never drifts from the binary.  man-commands.sh BINARY > FILE.h2m
set -euo pipefail
bin=${1:?usage: man-commands.sh BINARY}
echo "[COMMANDS]"
for cmd in run agent detect trace dump profiles alert-test eval "config check"; do
  echo ".SS \"$cmd\""
  echo ".nf"
  # shellcheck disable=SC2086
  "$bin" $cmd --help | sed "s|$bin|docker-anomalies|" | sed 's/\\/\\\\/g; s/^\./\\\&./'
  echo ".fi"
done
cat <<'TXT'
[FILES]
.TP
/etc/docker-anomalies/config.yaml
The configuration (every key documented inside; any key can be set with -o key.path=value).
.TP
/var/lib/docker-anomalies
Learned profiles and the alert outbox.
.TP
/var/log/docker-anomalies
Alert files (alerts.json_file), rotated by logrotate with SIGUSR1.
[SIGNALS]
SIGINT and SIGTERM stop (detach, drain, save); SIGHUP reloads the configuration (alert outputs,
noise control, log level); SIGUSR1 reopens alert files.
[EXIT STATUS]
0 success; 1 a failure at run time; 2 a usage or configuration error.
[SEE ALSO]
/usr/share/doc/docker-anomalies/README.md, operations.md, configuration.md, alerts.md
TXT

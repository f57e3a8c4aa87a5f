#!/bin/bash
# Nightshift live response script for Linux and macOS: stop one process by its id (Microsoft Defender
# for Endpoint RunScript). The same contract as nightshift-kill-process.ps1:
#   -ProcessId <n> [-ProcessNameBase64 <base64>]
# one line "nightshift-result: {json}"; exit 0 gone (killed / not_running), 2 refused, 1 failed.
set -u

pid=''
name_b64=''
while [ $# -gt 0 ]; do
  case "$1" in
    -ProcessId) pid="${2:-}"; shift 2 ;;
    -ProcessNameBase64) name_b64="${2:-}"; shift 2 ;;
    *) shift ;;
  esac
done

result() { # outcome code [extra json fields, already escaped]
  printf 'nightshift-result: {"action":"kill_process","outcome":"%s","process_id":%s%s}\n' "$1" "${pid:-0}" "${3:-}"
  exit "$2"
}

case "$pid" in ''|*[!0-9]*) pid=0; result refused 2 ',"reason":"ProcessId is not a number"' ;; esac
if [ "$pid" -le 1 ] || [ "$pid" -eq "$$" ] || [ "$pid" -eq "$PPID" ]; then
  result refused 2 ',"reason":"protected process id"'
fi
if ! kill -0 "$pid" 2>/dev/null; then result not_running 0; fi

actual="$(ps -p "$pid" -o comm= 2>/dev/null | sed 's#.*/##')"
case "$actual" in
  init|systemd|launchd|kernel_task|mdatp|wdavdaemon|sshd) result refused 2 ',"reason":"system process"' ;;
esac
if [ -n "$name_b64" ]; then
  expected="$(printf '%s' "$name_b64" | base64 -d 2>/dev/null)" || result refused 2 ',"reason":"ProcessNameBase64 is not base64"'
  if [ "$(printf '%s' "$expected" | tr '[:upper:]' '[:lower:]')" != "$(printf '%s' "$actual" | tr '[:upper:]' '[:lower:]')" ]; then
    result refused 2 ',"reason":"name mismatch"'
  fi
fi

kill -TERM "$pid" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
  kill -0 "$pid" 2>/dev/null || result killed 0
  sleep 1
done
kill -KILL "$pid" 2>/dev/null
sleep 1
if kill -0 "$pid" 2>/dev/null; then result failed 1 ',"error":"still running after SIGKILL"'; fi
result killed 0

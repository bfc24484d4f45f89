#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Runs one command and prints its wall-clock seconds and peak memory (max RSS, KiB) as JSON:
#   measure.py [--out FILE] -- CMD [ARGS...]     (the command's stdout goes to FILE)
import json
import os
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    out = None
    if len(args) >= 2 and args[0] == "--out":
        out, args = args[1], args[2:]
    if not args or args[0] != "--" or len(args) < 2:
        sys.exit("usage: measure.py [--out FILE] -- CMD [ARGS...]")
    cmd = args[1:]
    stdout = open(out, "wb") if out else subprocess.DEVNULL
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=stdout)
    # wait4 gives this child's own rusage (not the sum over every child this script ever had).
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if out:
        stdout.close()
    print(json.dumps({"seconds": wall, "max_rss_kib": ru.ru_maxrss, "rc": proc.returncode}))
    sys.exit(0)


if __name__ == "__main__":
    main()

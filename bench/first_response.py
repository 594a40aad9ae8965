#!/usr/bin/env python3
"""Start a server and time exec -> first HTTP 200 on a path; optionally report its idle RSS; stop it.

Usage: first_response.py [--rss-after SECONDS] [--pidfile FILE] PORT PATH -- COMMAND...

Prints the elapsed milliseconds on the first line; with --rss-after, it then requests PATH and /jwks
once more, sleeps SECONDS and prints VmRSS in kB on a second line. The server is always stopped
(SIGTERM, then SIGKILL after 5 s) before this script exits.

The clock starts just before the fork/exec. The server binds its port before it is ready, so a
connection attempt is either refused (retried every 1 ms) or accepted into the listen backlog and
answered as soon as the server serves: the measurement is not limited by the polling interval.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def get(port: int, path: str, timeout: float) -> int | None:
    """Status code of GET path, or None when the port refuses the connection."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                head += chunk
            status = int(head.split(b" ", 2)[1])
            while sock.recv(65536):  # drain, so the server finishes the request cleanly
                pass
            return status
    except (ConnectionRefusedError, ConnectionResetError, socket.timeout):
        return None


def stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def vm_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS line")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rss-after", type=float)
    parser.add_argument("--pidfile")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, terminate)

    start = time.perf_counter_ns()
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sys.stderr)  # keep our stdout for results
    try:
        if args.pidfile:
            with open(args.pidfile, "w") as f:
                f.write(f"{child.pid}\n")
        deadline = time.monotonic() + args.timeout
        while True:
            status = get(args.port, args.path, timeout=args.timeout)
            if status == 200:
                elapsed_ms = (time.perf_counter_ns() - start) / 1e6
                break
            if child.poll() is not None:
                print(f"server exited with {child.returncode} before answering", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"no 200 on {args.path} after {args.timeout} s (last: {status})", file=sys.stderr)
                return 1
            time.sleep(0.001)
        print(f"{elapsed_ms:.3f}", flush=True)
        if args.rss_after is not None:
            for path in (args.path, "/jwks"):
                if get(args.port, path, timeout=5) != 200:
                    print(f"GET {path} failed", file=sys.stderr)
                    return 1
            time.sleep(args.rss_after)
            print(vm_rss_kb(child.pid), flush=True)
        return 0
    finally:
        stop(child)


if __name__ == "__main__":
    sys.exit(main())

"""Child processes of `make run`: started together, logs prefixed, stopped together."""

import os
import signal
import subprocess
import sys
import threading
import time

STOP_TIMEOUT_SECONDS = 15


class ChildExited(Exception):
    """A child process ended while the others were expected to keep running."""


class Children:
    def __init__(self):
        self.processes: dict[str, subprocess.Popen] = {}
        self._print_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def write(self, name: str, line: str) -> None:
        with self._print_lock:
            sys.stdout.write(f"{name:<10}| {line.rstrip()}\n")
            sys.stdout.flush()

    def start(self, name: str, command: list[str], env: dict, cwd) -> None:
        # A new session keeps the terminal's Ctrl-C away from the children, so
        # they are stopped in order by stop() and not all at once.
        # NOTE: so if this process is killed with SIGKILL, the children keep
        # running and must be stopped by their pids.
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.processes[name] = process
        thread = threading.Thread(
            target=self._stream, args=(name, process), name=f"log-{name}", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        self.write("localstack", f"Started {name} (pid {process.pid}).")

    def _stream(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.write(name, line)

    def check_running(self) -> None:
        """Raise ChildExited when a child has ended."""
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                raise ChildExited(f"{name} exited with status {code}.")

    def wait(self) -> None:
        """Block until a child ends (raising ChildExited) or a signal interrupts."""
        while True:
            self.check_running()
            time.sleep(0.5)

    def stop(self) -> None:
        """Send SIGTERM to each child, last started first; SIGKILL those that stay."""
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                self.write("localstack", f"Stopping {name} (pid {process.pid}).")
                # The main process stops its own workers: gunicorn and Celery
                # both shut down gracefully on SIGTERM.
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.write(
                    "localstack",
                    f"{name} did not stop in {STOP_TIMEOUT_SECONDS} s; killing it.",
                )
                _kill_group(process)
                process.wait()
        for thread in self._threads:
            thread.join(timeout=2)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

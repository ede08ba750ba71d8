"""The processes under measurement: ``python -m bot`` and ``python -m bench.bare_bolt``, each a
child of the orchestrator with its logs in a file (never a pipe the orchestrator must drain)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import IO

import aiohttp

from bot.runtime.child_environment import REPO, clean_environment, free_port


class ServerProcess:
    """One server child process: started, waited for on ``/healthz``, measured, stopped."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path, *, cwd: Path | None = None) -> None:
        self.module = module
        self.cwd = cwd or REPO  # another checkout's bot (``python -m`` imports from the working directory)
        self.port = free_port()
        self.env = clean_environment(**env, PORT=str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log: IO[bytes] | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    async def start(self, timeout: float = 30.0) -> ServerProcess:  # noqa: ASYNC109
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
        )
        await self._wait_healthy(timeout)
        return self

    async def _wait_healthy(self, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise RuntimeError(f"{self.module} exited with {self._process.returncode}:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.module} was not healthy within {timeout}s:\n{self.tail()}")
                await asyncio.sleep(0.05)

    def memory_kib(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS (resident now) of the process, in KiB."""
        figures: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                figures[key] = int(value.split()[0])
        return figures

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                process.kill()  # this child, by its own id
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class Profiler:
    """``py-spy record`` attached to one process for a while, writing collapsed stacks."""

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        self.pid = pid
        self.output = output
        self.rate = rate
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Profiler:
        binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            binary,
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(self.rate),
            "--format",
            "raw",
            "--output",
            str(self.output),
            "--nonblocking",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)  # let it attach before the load starts
        return self

    async def __aexit__(self, *_exc: object) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the machine's Postgres processes (backends that have exited are
    not counted, so compare it over a run whose connections stay open, as the bot's pool does)."""
    return sum(seconds for name, seconds in cpu_by_process().values() if name == "postgres")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process on the machine: its name and the CPU time it has used so far, by process id."""
    used: dict[int, tuple[str, float]] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(comm.parent.name)
            used[pid] = comm.read_text().strip(), process_cpu_seconds(pid)
    return used


def machine_cpu_seconds() -> float:
    """CPU time the machine's cores have been busy so far, summed over them (``/proc/stat``: user,
    nice, system, irq, softirq; not idle, iowait, or time stolen by the hypervisor)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(ticks[:3]) + sum(ticks[5:7])
    return busy / os.sysconf("SC_CLK_TCK")

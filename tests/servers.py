"""SecantusDB servers of a test's own, as separate processes: standalone or a
one-node replica set, in memory or on disk, to stop, kill or freeze."""

import os
import signal
import subprocess
import time

import pymongo
from pymongo import MongoClient

from pyramid_mongo.devserver import find_executable, free_port


class Server:
    def __init__(self, *flags: str, storage: str = ":memory:", port: int | None = None) -> None:
        self.flags = flags
        self.storage = storage
        self.chosen_port = port
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> "Server":
        """Started, and answering itself: a free port can be taken by another
        process before ours binds it, and that process must not be mistaken
        for ours (a test then froze a server that had exited, and wrote to
        another's database)."""
        for _ in range(5):
            if self._started():
                return self
            self.port = self.chosen_port or free_port()
        raise RuntimeError(f"no SecantusDB server of our own could start (last port {self.port})")

    def _started(self) -> bool:
        where = ["--host", "127.0.0.1", "--port", str(self.port), "--storage-path", self.storage]
        self.process = subprocess.Popen(
            [find_executable(), *where, "--log-level", "WARNING", *self.flags],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client: MongoClient = MongoClient(self.url, serverSelectionTimeoutMS=300)
        try:
            deadline = time.monotonic() + 60
            while self.process.poll() is None:
                try:
                    answering = client.admin.command("serverStatus").get("pid")
                except pymongo.errors.PyMongoError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
                    continue
                if answering == self.process.pid:
                    return True
                self.process.kill()  # another process holds the port
                self.process.wait(30)
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

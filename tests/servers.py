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
        self.port = port or free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        where = ["--host", "127.0.0.1", "--port", str(self.port), "--storage-path", self.storage]
        self.process = subprocess.Popen(
            [find_executable(), *where, "--log-level", "WARNING", *self.flags],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client: MongoClient = MongoClient(self.url, serverSelectionTimeoutMS=300)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.admin.command("ping")
                    return self
                except pymongo.errors.PyMongoError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.2)
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

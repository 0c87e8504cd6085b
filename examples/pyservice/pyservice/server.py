"""Request handling for the key-value service: parse, dispatch, retry, report."""

import logging
import time

from pyservice.store import Store, StoreFull

log = logging.getLogger("pyservice.server")


class Server:
    class Stats:
        def __init__(self) -> None:
            self.requests = 0

        def report(self) -> None:
            log.info("Served %(n)d requests", {"n": self.requests})

    def __init__(self, store: Store, retries: int = 3) -> None:
        self.store = store
        self.retries = retries
        self.stats = Server.Stats()

    def handle(self, line: str) -> str:
        self.stats.requests += 1
        parts = line.split()
        if not parts:
            log.warning("Empty request")
            return "ERR empty"
        command, *args = parts
        if command == "PUT" and len(args) == 2:
            for attempt in range(1, self.retries + 1):
                try:
                    self.store.put(args[0], args[1].encode())
                    break
                except StoreFull:
                    log.error("Store full on attempt %d of %d for %s", attempt, self.retries, args[0])
                    time.sleep(0)
            else:
                return "ERR full"
            return "OK"
        if command == "GET" and len(args) == 1:
            value = self.store.get(args[0])
            return "NOT_FOUND" if value is None else value.decode()
        log.log(logging.WARNING, "Unknown command %s with %d arguments", command, len(args))
        return "ERR unknown"


def serve(lines: list[str]) -> list[str]:
    server = Server(Store(1 << 20))
    replies = [server.handle(line) for line in lines]
    server.stats.report()
    logging.info(f"Served {len(replies)} replies")
    return replies

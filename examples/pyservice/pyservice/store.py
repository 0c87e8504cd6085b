"""An in-memory key-value store with size limits and snapshots."""

import logging

logger = logging.getLogger(__name__)
SNAPSHOT_PREFIX = "snapshot"


class StoreFull(Exception):
    """Raised when a put would exceed the store's capacity."""


class Store:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: dict[str, bytes] = {}
        logger.info("Store created with capacity %d", capacity)

    def put(self, key: str, value: bytes) -> None:
        size = sum(len(v) for v in self.items.values()) + len(value)
        if size > self.capacity:
            logger.warning(f"Rejecting put of {key}: {size} bytes exceeds capacity {self.capacity}")
            raise StoreFull(key)
        self.items[key] = value
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Stored %s (%d bytes)", key, len(value))

    def get(self, key: str) -> bytes | None:
        value = self.items.get(key)
        if value is None:
            logger.info("Miss for key {}".format(key))
        return value

    def snapshot(self, path: str) -> int:
        written = 0
        try:
            with open(path, "wb") as fh:
                for key, value in sorted(self.items.items()):
                    fh.write(key.encode() + b"\t" + value + b"\n")
                    written += 1
        except OSError:
            logger.exception("Failed to write %s to %s", SNAPSHOT_PREFIX, path)
            return 0
        logger.info(SNAPSHOT_PREFIX + " of " + str(written) + " items written to " + path)
        return written

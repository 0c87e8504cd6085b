"""A planted-secret corpus for privacy tests: an HDFS-like raw log (``hdfs`` format) of block sessions into which
secrets of many kinds are planted, each kind with one value in 1 session, one in 2 and one in 10, in two wordings
(the secret as a slot value after a fixed phrase, and the secret as the first word of its own line)."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path

import numpy as np

MULTIPLICITIES = (1, 2, 10)


def _pick(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


UP, LOW, DIG = string.ascii_uppercase, string.ascii_lowercase, string.digits
HEX, B64 = "0123456789abcdef", string.ascii_letters + string.digits + "+/"

# kind -> a maker of one secret value of that kind
KINDS: dict[str, Callable[[np.random.Generator], str]] = {
    "aws_access_key": lambda r: "AKIA" + _pick(r, UP + DIG, 16),
    "aws_secret_key": lambda r: "aws_secret_access_key=" + _pick(r, B64, 40),
    "gcp_api_key": lambda r: "AIza" + _pick(r, UP + LOW + DIG + "_-", 35),
    "azure_storage_key": lambda r: "AccountKey=" + _pick(r, B64, 86) + "==",
    "jwt": lambda r: "eyJhbGciOiJIUzI1NiJ9.eyJ" + _pick(r, B64[:-2], 30) + "." + _pick(r, B64[:-2] + "_-", 43),
    "github_token": lambda r: "ghp_" + _pick(r, UP + LOW + DIG, 36),
    "slack_token": lambda r: f"xoxb-{_pick(r, DIG, 12)}-{_pick(r, DIG, 13)}-{_pick(r, UP + LOW + DIG, 24)}",
    "stripe_key": lambda r: "sk_live_" + _pick(r, UP + LOW + DIG, 24),
    "email": lambda r: f"{_pick(r, LOW, 7)}.{_pick(r, LOW, 5)}@{_pick(r, LOW, 6)}.com",
    "password": lambda r: "password=" + _pick(r, UP + LOW + DIG, 10) + "!",
    "url_credentials": lambda r: f"https://{_pick(r, LOW, 5)}:{_pick(r, LOW + DIG, 9)}@db.{_pick(r, LOW, 6)}.com/x",
    "ipv4_public": lambda r: f"52.{int(r.integers(1, 255))}.{int(r.integers(1, 255))}.{int(r.integers(1, 255))}",
    "ipv6": lambda r: "2600:1f18:" + ":".join(_pick(r, HEX, 4) for _ in range(4)) + "::" + _pick(r, HEX, 4),
    "mac": lambda r: ":".join(_pick(r, HEX.upper(), 2) for _ in range(6)),
    "fqdn": lambda r: f"{_pick(r, LOW, 6)}.internal.{_pick(r, LOW, 7)}.org",
    "host_port": lambda r: f"vault.{_pick(r, LOW, 8)}.example.org:{int(r.integers(8000, 9000))}",
    "bare_hostname": lambda r: f"db-{_pick(r, LOW, 4)}-{_pick(r, DIG, 2)}",
    "hex_cookie": lambda r: _pick(r, HEX, 32),
    "base64_blob": lambda r: _pick(r, B64, 40) + "==",
    "node_location": lambda r: (f"R{_pick(r, DIG, 2)}-M{_pick(r, '01', 1)}-N{_pick(r, HEX.upper(), 1)}-C:J"
                                f"{_pick(r, DIG, 2)}-U{_pick(r, DIG, 2)}"),
    "card_serial": lambda r: _pick(r, HEX, 48),
    "user_name": lambda r: _pick(r, LOW, 6) + _pick(r, DIG, 3),
    "credit_card": lambda r: "4" + _pick(r, DIG, 15),
    "uuid": lambda r: "-".join(_pick(r, HEX, n) for n in (8, 4, 4, 4, 12)),
}


def _stamp(second: int) -> str:
    return f"081109 {20 + second // 3600 % 4:02d}{second // 60 % 60:02d}{second % 60:02d}"


def write_corpus(folder: Path, sessions: int = 150, seed: int = 7) -> tuple[Path, dict[str, dict[int, str]]]:
    """The log file and the planted secrets (kind -> multiplicity -> value)."""
    rng = np.random.default_rng(seed)
    blocks = [f"blk_{int(b)}" if i % 2 else f"blk_-{int(b)}"
              for i, b in enumerate(rng.integers(10**17, 10**18, sessions))]
    lines: dict[str, list[str]] = {b: [] for b in blocks}
    for block in blocks:
        ip, size = f"10.250.{int(rng.integers(0, 20))}.{int(rng.integers(1, 250))}", int(rng.integers(1, 67108864))
        lines[block] += [
            f"INFO dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/"
            f"part-{int(rng.integers(0, 99)):05d}. {block}",
            f"INFO dfs.DataNode$DataXceiver: Receiving block {block} src: /{ip}:{int(rng.integers(30000, 60000))} "
            f"dest: /{ip}:50010",
            f"INFO dfs.DataNode$PacketResponder: PacketResponder {int(rng.integers(0, 3))} for block {block} "
            "terminating",
            f"INFO dfs.DataNode$PacketResponder: Received block {block} of size {size} from /{ip}",
            f"INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to "
            f"{block} size {size}"]
    planted: dict[str, dict[int, str]] = {}
    for kind, make in KINDS.items():
        planted[kind] = {}
        for times in MULTIPLICITIES:
            secret = make(rng)
            planted[kind][times] = secret
            for block in rng.choice(blocks, size=times, replace=False).tolist():
                lines[block].insert(2, f"WARN dfs.DataNode: Credential check {kind} found {secret} for {block}")
                lines[block].insert(3, f"INFO dfs.DataNode: {secret} accepted for {block}")
    path = folder / "planted.log"
    text = []
    second = 0
    for block in blocks:
        for line in lines[block]:
            text.append(f"{_stamp(second)} {int(rng.integers(10, 999))} {line}")
            second += 1
    path.write_text("\n".join(text) + "\n")
    return path, planted

"""Passwords imported from eFiction, which stores an unsalted hex MD5 of each password.

Django no longer ships a hasher for that, so members of an imported archive would all
have to reset. Instead the importer stores `from_efiction(md5_hex)`, which reads
`efiction_md5$$<32 lowercase hex digits>` (Django's usual `algorithm$salt$hash` with an
empty salt), and `EFictionMD5PasswordHasher`, ranked after Argon2 in PASSWORD_HASHERS,
checks it. Because it always asks to be updated, Django rehashes the password with
Argon2 on the member's first successful sign-in, so old hashes disappear as members return.
"""

import contextlib
import hashlib
import re

from django.contrib.auth.hashers import BasePasswordHasher, make_password, mask_hash
from django.utils.crypto import constant_time_compare

ALGORITHM = "efiction_md5"
_MD5_HEX = re.compile(r"[0-9a-f]{32}")


def from_efiction(md5_hex: str | bytes | None) -> str:
    """The value to store in User.password for eFiction's `fanfiction_authors.password`.

    eFiction writes '0' (or nothing) for accounts without a password, such as those an
    admin created; anything that is not an MD5 digest cannot be checked either. Those
    accounts get Django's unusable password and sign in after a password reset.
    """
    if isinstance(md5_hex, bytes):
        md5_hex = md5_hex.decode("ascii", "replace")
    digest = (md5_hex or "").strip().lower()
    if not _MD5_HEX.fullmatch(digest):
        return make_password(None)
    return f"{ALGORITHM}$${digest}"


def _digests(password: str) -> list[str]:
    """MD5s the password may have had in eFiction: pages served as UTF-8 posted UTF-8,
    older archives (ISO-8859-1 pages, read by browsers as Windows-1252) posted that."""
    encodings = [password.encode()]
    with contextlib.suppress(UnicodeEncodeError):
        encodings.append(password.encode("cp1252"))
    return [hashlib.md5(raw, usedforsecurity=False).hexdigest() for raw in encodings]


class EFictionMD5PasswordHasher(BasePasswordHasher):
    """Checks eFiction's unsalted MD5 digests; never used for new passwords (not first in
    PASSWORD_HASHERS) and always upgraded to the preferred hasher after a sign-in."""

    algorithm = ALGORITHM

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        if password is None:
            raise TypeError("password must be provided.")
        if salt:
            raise ValueError("eFiction's MD5 digests have no salt.")
        return f"{ALGORITHM}$${_digests(password)[0]}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"not an {ALGORITHM} password")
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        stored = self.decode(encoded)["hash"]
        # Compare every candidate (no early exit) so timing says nothing about which matched.
        matches = [constant_time_compare(stored, digest) for digest in _digests(password)]
        return any(matches)

    def safe_summary(self, encoded: str) -> dict:
        return {"algorithm": self.algorithm, "hash": mask_hash(self.decode(encoded)["hash"])}

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        """Nothing to equalize: there are no iterations to catch up on."""

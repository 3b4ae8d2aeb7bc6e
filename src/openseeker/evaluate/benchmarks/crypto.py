"""The two XOR obfuscation schemes benchmark files use (decryption happens in memory only).

* BrowseComp family (BrowseComp, BrowseComp-ZH, BrowseComp-Plus): key = SHA-256(password), repeated.
* xbench-DeepSearch: key = the canary string's UTF-8 bytes, repeated (no hash).

Both store ``base64(plaintext XOR key)``. The ``encrypt_*`` functions exist so that tests can build
encrypted fixtures; they are the same XOR.
"""

from __future__ import annotations

import base64
import binascii
import hashlib


def _xor(data: bytes, key: bytes) -> bytes:
    if not key:
        raise ValueError("empty XOR key")
    reps = len(data) // len(key) + 1
    return bytes(a ^ b for a, b in zip(data, (key * reps)[: len(data)], strict=True))


def sha256_key(password: str) -> bytes:
    """The BrowseComp key: the SHA-256 digest of the password's UTF-8 bytes."""
    return hashlib.sha256(password.encode("utf-8")).digest()


def decrypt_cell(cell: str, key: bytes) -> str:
    """``base64`` decode ``cell``, XOR with ``key`` repeated, decode UTF-8.

    Raises:
        ValueError: the cell is not base64 or the result is not UTF-8 (a wrong password or scheme).
    """
    try:
        data = base64.b64decode(cell.strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"not base64 ({e})") from None
    try:
        return _xor(data, key).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("decrypts to invalid UTF-8 (wrong password or wrong scheme)") from None


def decrypt_browsecomp(cell: str, password: str) -> str:
    """Decrypt one BrowseComp-family cell."""
    return decrypt_cell(cell, sha256_key(password))


def decrypt_xbench(cell: str, canary: str) -> str:
    """Decrypt one xbench-DeepSearch cell (repeating XOR with the canary bytes)."""
    return decrypt_cell(cell, canary.encode("utf-8"))


def encrypt_cell(text: str, key: bytes) -> str:
    """The inverse of :func:`decrypt_cell` (for test fixtures)."""
    return base64.b64encode(_xor(text.encode("utf-8"), key)).decode("ascii")


def encrypt_browsecomp(text: str, password: str) -> str:
    """Encrypt like BrowseComp (for test fixtures)."""
    return encrypt_cell(text, sha256_key(password))


def encrypt_xbench(text: str, canary: str) -> str:
    """Encrypt like xbench-DeepSearch (for test fixtures)."""
    return encrypt_cell(text, canary.encode("utf-8"))

"""Read a file the tool did not create: regular files only, bounded, never blocking.

A FIFO named adapter_config.json blocks ``open()`` forever, a character
device such as /dev/zero never ends, and a 300 MB README.md costs seconds
and a gigabyte to read.  Every file beside or of an adapter is opened here:
non-blocking (so opening a FIFO returns at once), then checked with
``fstat`` on the open descriptor (so the check and the read see the same
file), and never read past a limit.
"""
from __future__ import annotations

import os
import stat

MAX_BYTES = 1 << 20  # 1 MiB: a config is a few kB, a model card's metadata less

_KINDS = (
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO (named pipe)'),
    (stat.S_ISSOCK, 'a socket'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
)


class NotRegular(OSError):
    """The path is not a regular file; ``str()`` says what it is instead."""


class TooLarge(OSError):
    """The file is larger than the limit; ``size`` is its size in bytes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f'file is {size:,} bytes, larger than the {_human(limit)} limit')
        self.size = size
        self.limit = limit


def _human(limit: int) -> str:
    return f'{limit >> 20} MiB' if limit >= 1 << 20 and not limit % (1 << 20) else f'{limit:,} bytes'


def kind(mode: int) -> str:
    """'a FIFO (named pipe)', 'a directory', ...: what a non-regular file is."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def open_regular(path: str) -> int:
    """An open descriptor of a regular file; NotRegular or OSError otherwise.

    Symbolic links are followed (an adapter folder may link its files), but
    what they point at must be a regular file too.
    """
    flags = os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_NOCTTY', 0) | getattr(os, 'O_CLOEXEC', 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f'is {kind(mode)}, not a regular file')
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str, limit: int = MAX_BYTES) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes.

    Raises NotRegular, TooLarge (without reading the file) or OSError.
    """
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise TooLarge(size, limit)
        chunks = []
        total = 0
        while total <= limit:  # a file that grows while it is read stops at the limit
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise TooLarge(total, limit)
        return b''.join(chunks)
    finally:
        os.close(fd)


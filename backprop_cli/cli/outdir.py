"""Writing a student's files under --out, and nowhere else: the student's folder is made
inside the folder given (an id cannot hold a slash or start with a dot: tasks/classroom.ID),
a symbolic link in the way is refused rather than followed, and each file is written
whole."""

from __future__ import annotations

import os

from ..errors import UsageError


def prepare(out: str) -> str:
    """The --out folder, made if missing; an existing file there is an error."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot make the folder {out}: {e.strerror}") from None
    if not os.path.isdir(out):
        raise UsageError(f"--out {out} is not a folder")
    return os.path.realpath(out)


def write(out: str, student: str, name: str, text: str) -> str:
    """out/student/name with the text; its path."""
    folder = os.path.join(out, student)
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except OSError as e:
        raise UsageError(f"cannot make the folder {folder}: {e.strerror}") from None
    if os.path.islink(folder) or os.path.dirname(os.path.realpath(folder)) != out:
        raise UsageError(f"{folder} is a link out of {out}: not written")
    path = os.path.join(folder, name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path

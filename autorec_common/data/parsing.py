"""Strict parsers of the release's files: every error names the file and the line."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from .errors import MalformedDataError
from .releases import GENRES, RATING_COLUMNS

MAX_TIMESTAMP = 2**32 - 1


def _lines(text: bytes | str, encoding: str):
    """Numbered lines split at ``\n`` only (a form feed is not a line break),
    without a UTF-8 byte-order mark or trailing ``\r``."""
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf").decode(encoding, errors="replace")
    for lineno, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield lineno, line


def _natural(field: str) -> int:
    """A non-negative integer written in ASCII digits only (no sign, ``_`` or spaces)."""
    if not (field.isascii() and field.isdigit()) or len(field) > 18:
        raise ValueError(f"{field!r} is not a whole number")
    return int(field)


_RATING_LINE = re.compile(r"[0-9]{1,18}\t[0-9]{1,18}\t[1-5]\t[0-9]{1,10}")


def _ratings_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(rows, dtype=np.int64).reshape(-1, 4),
                        columns=RATING_COLUMNS)


def _parse_ratings_fast(lines: list) -> pd.DataFrame | None:
    """The common case in bulk; None when any line needs a closer look."""
    if not lines or not all(map(_RATING_LINE.fullmatch, lines)):
        return None
    frame = _ratings_frame("\t".join(lines).split("\t"))
    if (frame.user_id < 1).any() or (frame.item_id < 1).any() or \
            (frame.timestamp > MAX_TIMESTAMP).any() or \
            frame.duplicated(["user_id", "item_id"]).any():
        return None
    return frame


def parse_ratings(text: bytes | str, source: str = "<ratings>") -> pd.DataFrame:
    """Parse tab-separated ``user item rating timestamp`` lines.

    Every line must hold four integers in plain digits, positive ids, a rating
    from 1 to 5 and a Unix timestamp, and no (user, item) pair may repeat;
    otherwise :class:`MalformedDataError` names the file and the line.
    """
    numbered = list(_lines(text, "ascii"))
    frame = _parse_ratings_fast([line for _, line in numbered])
    if frame is not None:
        return frame
    rows, seen = [], {}
    for lineno, line in numbered:
        fields = line.split("\t")
        try:
            if len(fields) != 4:
                raise ValueError(f"expected 4 tab-separated fields, found {len(fields)}")
            user, item, rating, stamp = (_natural(x) for x in fields)
            if user < 1 or item < 1:
                raise ValueError("user and item ids start at 1")
            if not 1 <= rating <= 5:
                raise ValueError(f"rating {rating} is outside 1..5")
            if stamp > MAX_TIMESTAMP:
                raise ValueError(f"timestamp {stamp} is outside 0..{MAX_TIMESTAMP}")
            first = seen.setdefault((user, item), lineno)
            if first != lineno:
                raise ValueError(f"user {user} rated item {item} already on line {first}")
        except ValueError as err:
            raise MalformedDataError(
                f"{source}, line {lineno}: {err}: {line[:80]!r}") from None
        rows.append((user, item, rating, stamp))
    if not rows:
        raise MalformedDataError(f"{source}: no ratings found")
    return _ratings_frame(rows)


# A UTF-8 encoded non-ASCII letter (lead byte, continuation byte): in Latin-1
# text it reads as "Ã©" and the like, which no title of the release holds.
_UTF8_PAIR = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def parse_items(text: bytes | str, source: str = "u.item") -> pd.DataFrame:
    """Parse ``u.item`` (Latin-1, ``|``-separated) into a data frame.

    A file in UTF-8 (the release is Latin-1) is recognised, read as UTF-8,
    and a warning says so; so does a warning for a Latin-1 file with a line
    that looks like UTF-8.

    Item ids must be distinct whole numbers, genre flags 0 or 1, and release
    dates empty or like ``01-Jan-1995``; otherwise :class:`MalformedDataError`
    names the file and the line.
    """
    if isinstance(text, bytes):
        raw = text.removeprefix(b"\xef\xbb\xbf")
        if not raw.isascii():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:  # Latin-1, as the release is, unless
                mixed = _UTF8_PAIR.search(raw)  # UTF-8 lines were added to it
                if mixed:
                    lineno = raw.count(b"\n", 0, mixed.start()) + 1
                    warnings.warn(
                        f"{source} is in Latin-1, as the release is, but line {lineno} "
                        f"looks like UTF-8 (read as "
                        f"{raw[mixed.start():mixed.end()].decode('latin-1')!r}); save "
                        f"the whole file in one encoding.", stacklevel=2)
            else:
                warnings.warn(f"{source} is written in UTF-8, not in the release's "
                              f"Latin-1; it was read as UTF-8.", stacklevel=2)
    rows, seen, linenos = [], {}, []
    for lineno, line in _lines(text, "latin-1"):
        fields = line.split("|")
        try:
            if len(fields) != 5 + len(GENRES):
                raise ValueError(f"expected {5 + len(GENRES)} '|'-separated fields, "
                                 f"found {len(fields)}")
            item_id = _natural(fields[0])
            if item_id < 1:
                raise ValueError("item ids start at 1")
            bad = [g for g in fields[5:] if g not in ("0", "1")]
            if bad:
                raise ValueError(f"genre flag {bad[0]!r} is not 0 or 1")
            first = seen.setdefault(item_id, lineno)
            if first != lineno:
                raise ValueError(f"item {item_id} is already on line {first}")
        except ValueError as err:
            raise MalformedDataError(
                f"{source}, line {lineno}: {err}: {line[:80]!r}") from None
        rows.append([item_id, fields[1], fields[2], fields[4]] + [int(g) for g in fields[5:]])
        linenos.append(lineno)
    if not rows:
        raise MalformedDataError(f"{source}: no items found")
    frame = pd.DataFrame(rows, columns=["item_id", "title", "release_date", "url"] + GENRES)
    dates = pd.to_datetime(frame["release_date"], format="%d-%b-%Y", errors="coerce")
    bad = dates.isna() & (frame["release_date"].str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise MalformedDataError(f"{source}, line {linenos[i]}: release date "
                                 f"{frame['release_date'][i]!r} is not like 01-Jan-1995")
    frame["release_date"] = dates
    return frame


_HEADER = "userId,movieId,rating,timestamp"
_TABLE_DTYPES = {"user_id": np.int32, "item_id": np.int32, "rating": np.float32,
                 "timestamp": np.int64}


def _blocks(stream, size: int = 16 << 20):
    """Whole lines of a binary stream, in blocks of about ``size`` bytes."""
    rest = b""
    while block := stream.read(size):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest = block
            continue
        rest = block[cut:]
        yield block[:cut]
    if rest:
        yield rest


def _first_bad_line(block: bytes, fmt: str, line: int, source: str, err) -> str:
    """Say which line of a block that pandas refused is wrong, and why."""
    sep = "\t" if fmt == "dat" else ","
    for lineno, text in enumerate(block.decode("latin-1").split("\n"), start=line + 1):
        fields = text.rstrip("\r").split(sep)
        if not text.strip():
            continue
        why = None
        if len(fields) != 4:
            why = f"expected 4 fields, found {len(fields)}"
        else:
            for f in fields:
                try:
                    float(f)
                except ValueError:
                    why = f"{f!r} is not a number"
                    break
        if why:
            shown = text.replace("\t", "::") if fmt == "dat" else text
            return f"{source}, line {lineno}: {why}: {shown[:80]!r}"
    return f"{source}, after line {line}: {err}"


def _pair_repeats(data: pd.DataFrame) -> np.ndarray:
    """Which rows repeat an earlier (user, item) pair, by one int64 key per row
    (ids are checked positive first): a sort says whether any does (faster than
    hashing), and only then a hash finds which."""
    key = data.user_id.to_numpy(np.int64) * (int(data.item_id.max()) + 1) + \
        data.item_id.to_numpy(np.int64)
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        return np.zeros(len(key), dtype=bool)
    return pd.Series(key).duplicated().to_numpy()


def parse_ratings_table(stream, fmt: str, scale: tuple, source: str) -> pd.DataFrame:
    """Parse a ``::``-separated ``ratings.dat`` (``fmt="dat"``) or a ``ratings.csv``
    with the header ``userId,movieId,rating,timestamp`` (``fmt="csv"``).

    Reads a binary stream in blocks (bounded memory beyond the result). Every
    line must hold four numbers, positive ids, a rating on ``scale`` (lowest,
    highest, step) and a Unix timestamp; no (user, item) pair may repeat.
    Otherwise :class:`MalformedDataError` names the file and, where it can, the
    line. Ids are the file's own; the columns are :data:`RATING_COLUMNS`.
    """
    import io

    frames, line = [], 0
    for n, block in enumerate(_blocks(stream)):
        if n == 0:
            block = block.removeprefix(b"\xef\xbb\xbf")
            if fmt == "csv":
                first, _, block = block.partition(b"\n")
                line = 1
                if first.decode("latin-1").strip() != _HEADER:
                    raise MalformedDataError(
                        f"{source}, line 1: expected the header {_HEADER!r}, found "
                        f"{first[:80].decode('latin-1')!r}")
        if fmt == "dat":
            block = block.replace(b"::", b"\t")
        try:
            frame = pd.read_csv(io.BytesIO(block), sep="\t" if fmt == "dat" else ",",
                                header=None, names=RATING_COLUMNS, dtype=_TABLE_DTYPES,
                                engine="c", skip_blank_lines=True)
        except (ValueError, pd.errors.ParserError) as err:
            raise MalformedDataError(_first_bad_line(block, fmt, line, source, err)) from None
        frame.index += line + 1
        line += block.count(b"\n")
        frames.append(frame)
    if not frames or not sum(map(len, frames)):
        raise MalformedDataError(f"{source}: no ratings found")
    data = pd.concat(frames)
    low, high, step = scale
    checks = (
        ((data.user_id < 1) | (data.item_id < 1), "user and item ids start at 1"),
        ((data.rating < low) | (data.rating > high) |
         ((data.rating - low) / step % 1 != 0),
         f"rating outside {low}..{high} in steps of {step}"),
        ((data.timestamp < 0) | (data.timestamp > MAX_TIMESTAMP),
         f"timestamp outside 0..{MAX_TIMESTAMP}"),
        (lambda: _pair_repeats(data), "user rated this item already"),
    )
    for bad, why in checks:
        bad = bad() if callable(bad) else bad
        if bad.any():
            at = int(np.flatnonzero(np.asarray(bad))[0])
            row = data.iloc[at]
            raise MalformedDataError(
                f"{source}, line {data.index[at]}: {why}: "
                f"{', '.join(f'{k}={v:g}' for k, v in row.items())}")
    return data.reset_index(drop=True)

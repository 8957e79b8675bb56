"""Parsing of the CLI's shared option formats, with errors that name the option."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import typer
from pydantic import ValidationError

from quorum.config import AppSettings, load_settings
from quorum.domain import Timeframe, split_symbol
from quorum.errors import ValidationFailed


def parse_symbols(text: str) -> list[str]:
    symbols = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not symbols:
        raise typer.BadParameter("give at least one symbol, e.g. BTC/USDT", param_hint="--symbols")
    for symbol in symbols:
        try:
            split_symbol(symbol)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--symbols") from None
    return symbols


def parse_timeframes(text: str) -> list[Timeframe]:
    try:
        frames = [Timeframe.parse(t) for t in text.split(",") if t.strip()]
    except ValidationFailed as exc:
        raise typer.BadParameter(str(exc), param_hint="--timeframes") from None
    if not frames:
        raise typer.BadParameter("give at least one timeframe", param_hint="--timeframes")
    return sorted(set(frames), key=lambda tf: tf.seconds)


def parse_time(text: str, option: str) -> datetime:
    """ISO-8601 time. A plain date (``2024-06-01``) means that UTC day's midnight; a time of
    day without an offset is refused rather than guessed."""
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"not an ISO-8601 date or time: {text!r} (e.g. 2024-06-01 or 2024-06-01T00:00:00Z)",
            param_hint=option,
        ) from None
    if value.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no UTC offset; add Z or +00:00", param_hint=option)
    return value.astimezone(UTC)


def problems(exc: ValidationError) -> str:
    """A pydantic refusal as one line: each rule's message, without pydantic's prefixes."""
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def settings_with_database(url: str, option: str = "--db") -> AppSettings:
    """The loaded settings reading and writing the database at ``url`` (validated as the
    ``database.url`` setting is, the error naming ``option``)."""
    settings = load_settings()
    try:
        database = type(settings.database).model_validate(
            {**settings.database.model_dump(), "url": url}
        )
    except ValidationError as exc:
        raise typer.BadParameter(f"{url!r}: {problems(exc)}", param_hint=option) from None
    return settings.model_copy(update={"database": database})

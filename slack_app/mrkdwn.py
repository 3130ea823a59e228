"""Slack's text and message rules: mrkdwn escaping, text split into sections that keep code blocks whole,
unique block ids, and messages of at most 50 blocks."""

from __future__ import annotations

__all__ = ["FENCE", "MESSAGE_BLOCKS", "SECTION_LIMIT", "escape", "in_messages", "split_text", "unique_block_ids"]


def escape(text: str) -> str:
    """Slack mrkdwn control characters as entities: `<product>` or `a & b` must not read as a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SECTION_LIMIT = 3000   # characters of mrkdwn in one section block
MESSAGE_BLOCKS = 50    # blocks in one message
FENCE = "```"


def _split_line(line: str, limit: int) -> list[str]:
    """A line longer than `limit`, cut at spaces (a token longer than `limit` alone is cut where it must be)."""
    parts, current = [], ""
    for word in line.split(" "):
        while len(word) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > limit:
            parts.append(current)
            current = word
        else:
            current = candidate
    return [*parts, current] if current else parts


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Text in chunks of at most `limit` characters, cut between lines; a code block cut in two is
    closed at the end of one chunk and opened again at the start of the next, so every chunk renders
    and copied code is whole (a line is cut only when it alone is longer than half a chunk)."""
    room = limit - len(FENCE) - 1  # leaves space to close an open fence
    chunks: list[str] = []
    current: list[str] = []
    size, in_code = 0, False
    for raw in text.split("\n"):
        for line in _split_line(raw, room // 2) if len(raw) > room // 2 else [raw]:
            if current and size + len(line) + 1 > room:
                chunks.append("\n".join([*current, FENCE] if in_code else current))
                current = [FENCE] if in_code else []
                size = sum(len(part) + 1 for part in current)
            current.append(line)
            size += len(line) + 1
            if line.count(FENCE) % 2 == 1:
                in_code = not in_code
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in chunks if chunk.replace(FENCE, "").strip()]


def unique_block_ids(blocks: list[dict]) -> list[dict]:
    """Slack rejects a message whose blocks repeat a block_id: later repeats get a suffix."""
    seen: set[str] = set()
    out = []
    for block in blocks:
        block_id = block.get("block_id")
        if block_id is not None:
            candidate, n = block_id, 1
            while candidate in seen:
                n += 1
                candidate = f"{block_id}_{n}"
            seen.add(candidate)
            block = {**block, "block_id": candidate} if candidate != block_id else block
        out.append(block)
    return out


def in_messages(blocks: list[dict], limit: int = MESSAGE_BLOCKS) -> list[list[dict]]:
    """Blocks in messages of at most `limit` blocks each (a long answer continues in the next message)."""
    return [blocks[i:i + limit] for i in range(0, len(blocks), limit)] or [[]]

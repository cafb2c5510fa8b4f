"""The built-in provider: deterministic and useful without any model server.

`help`, `summary` (who said what lately, and questions nobody answered), `search <words>`
(recent messages with all the words) and `who` (who is online in the channel).
"""

from collections import Counter

from .providers import Context

HELP = (
    "I can help without a model server: `help` (this), `summary` (who said what lately, "
    "open questions), `search <words>` (recent messages with those words), `who` (who is online)."
)
SNIPPET = 80


def snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


class OfflineProvider:
    async def answer(self, question: str, context: Context) -> str:
        command, _, rest = question.strip().partition(" ")
        match command.lower():
            case "summary":
                return summary(context)
            case "search":
                return search(context, rest)
            case "who":
                return f"Online now: {', '.join(context.online)}." if context.online else "Nobody else is online."
            case _:
                return HELP


def summary(context: Context) -> str:
    talk = [m for m in context.earlier if m.author_id != context.assistant_id and not m.deleted]
    if not talk:
        return "Nothing has been said here yet."
    counts = Counter(context.author(m) for m in talk)
    people = ", ".join(f"{name} ({n})" for name, n in counts.most_common())
    lines = [f"Last {len(talk)} messages, from {people}."]
    lines += [f"- {context.author(m)}: {snippet(m.content)}" for m in talk[-5:]]
    answered = {m.reply_to for m in talk if m.reply_to}
    open_questions = [m for m in talk if m.content.rstrip().endswith("?") and m.id not in answered]
    if open_questions:
        lines.append(
            "Open questions: " + "; ".join(f"{context.author(m)}: {snippet(m.content)}" for m in open_questions)
        )
    return "\n".join(lines)


def search(context: Context, words: str) -> str:
    terms = words.lower().split()
    if not terms:
        return "Tell me what to look for: `search <words>`."
    hits = [
        m for m in context.earlier
        if m.author_id != context.assistant_id and all(t in m.content.lower() for t in terms)
    ]  # fmt: skip
    if not hits:
        return f"No recent message mentions {' '.join(terms)}."
    return "\n".join(f"- {context.author(m)} (#{m.seq}): {snippet(m.content)}" for m in hits[-5:])

"""The money rule written out for tests, independently of tools.display: cents below $10,000,
whole dollars from $10,000 and for whole amounts."""


def usd(v: float) -> str:
    a = round(abs(v), 2)
    sign = "-" if v < 0 and a else ""
    return f"{sign}${a:,.0f}" if a >= 10_000 or a == int(a) else f"{sign}${a:,.2f}"

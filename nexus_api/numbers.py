"""Numbers on the wire as JSON Schema reads them: an integer is a whole number (``3`` or
``3.0``), never ``true``; a number is any JSON number, never ``true``.

pydantic's lax mode takes ``true`` as 1 and its strict mode refuses ``3.0``; these types
take exactly what the API document says.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StrictFloat, StrictInt

__all__ = ["Number", "Whole"]


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


Whole = Annotated[StrictInt, BeforeValidator(_whole)]
Number = StrictFloat  # takes ints too, not booleans

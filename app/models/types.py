"""Input types that refuse the lax coercions JSON callers should not rely on."""

from typing import Annotated

from pydantic import AllowInfNan, Strict

# true/false are not numbers, and "5" is not an integer, in this API.
Int = Annotated[int, Strict()]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Bool = Annotated[bool, Strict()]

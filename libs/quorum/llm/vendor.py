"""The one place that imports litellm.

litellm fetches its model price map from GitHub at import time unless
``LITELLM_LOCAL_MODEL_COST_MAP`` is set; Quorum must start offline and must price from
the map bundled with the installed litellm (the start-up check then refuses any paid
model that map prices at zero). So the variable is set *before* the import, here, and
every other module of ``quorum.llm`` reaches litellm through this module.
"""

from __future__ import annotations

import os

# Set before importing litellm: use the bundled price map, never the network (see above).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from litellm.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    Timeout,
)
from litellm.llms.custom_llm import CustomLLM
from litellm.router import Router
from litellm.router_utils.cooldown_handlers import get_cooldown_deployments
from litellm.types.router import AllowedFailsPolicy, RouterRateLimitError
from litellm.types.utils import ModelResponse

litellm.suppress_debug_info = True

__all__ = [
    "APIConnectionError",
    "AllowedFailsPolicy",
    "AuthenticationError",
    "BadRequestError",
    "CustomLLM",
    "ModelResponse",
    "RateLimitError",
    "Router",
    "RouterRateLimitError",
    "Timeout",
    "get_cooldown_deployments",
    "litellm",
]

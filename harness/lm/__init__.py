"""Model calls: DSPy's native engine or litellm through DSPy's engine contract, with our cache, retries and concurrency."""

from harness.lm.client import ModelCallError, ModelClient, ModelSettings, model_error_in

__all__ = ["ModelCallError", "ModelClient", "ModelSettings", "model_error_in"]

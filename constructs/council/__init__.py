"""AI Council infrastructure: cdktf constructs for LLMs on Azure ML behind a LiteLLM router."""

"""LLM providers. Each registers a factory in :data:`openseeker.llm.registry.providers`; heavy imports happen
inside the factory so that a missing extra only matters when that provider is used."""

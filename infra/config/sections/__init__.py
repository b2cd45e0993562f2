"""Config sections, one module per tier; `infra.config.model` assembles them."""

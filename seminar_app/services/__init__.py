"""Business rules, one module per domain. Views call these; these call the models."""

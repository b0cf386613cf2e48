"""fluidstack_client.testing: the fake, its server, CLI, seeding and fixtures."""

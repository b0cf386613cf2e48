"""What the tests share: loopback servers, realistic bodies, client defaults."""

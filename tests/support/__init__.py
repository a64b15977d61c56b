"""Helpers shared by the tests: local servers, Lambda events, fixtures' connector packages."""

"""A package, so that conftest.py's package-scoped moto (`local_aws`) really ends with
the last test here: pytest gives a plain folder's "package" fixtures the whole session,
and an in-process mock_aws() must not outlive these tests (tests/local, tests/e2e)."""

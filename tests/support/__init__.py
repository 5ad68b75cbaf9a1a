"""What tests of more than one directory share: worlds, fixtures, sample data.

Modules here never import a test directory. Those that define fixtures are registered as
plugins in tests/conftest.py, so any test can ask for their fixtures by name.
"""

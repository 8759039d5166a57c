import pytest


@pytest.fixture
def enforced(settings):
    """Production's rule: roles that need the second factor must use it."""
    settings.OTP_ENFORCE = True
    return settings

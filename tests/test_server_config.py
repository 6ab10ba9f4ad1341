"""Limits, settings and the exposure check."""

from __future__ import annotations

import pytest

from termfit.errors import InputError
from termfit.server import Limits, Settings
from termfit.server.config import check_exposure, is_loopback


def test_limits_are_validated():
    with pytest.raises(InputError, match="max_k"):
        Limits(max_k=0)


def test_settings_are_validated():
    with pytest.raises(InputError, match="default_input_type"):
        Settings(default_input_type="document")
    with pytest.raises(InputError, match="api_key"):
        Settings(api_key=" ")


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("192.168.1.5", False), ("::", False),
    ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_admin_routes_refused_on_reachable_host_without_key():
    check_exposure("127.0.0.1", Settings())
    check_exposure("0.0.0.0", Settings(api_key="k"))
    check_exposure("0.0.0.0", Settings(admin=False))
    with pytest.raises(InputError, match="--api-key"):
        check_exposure("0.0.0.0", Settings())

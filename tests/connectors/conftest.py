from tests.support.net_fixtures import http, origin

__all__ = ["http", "origin"]

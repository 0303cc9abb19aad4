"""The standalone host's Redis cache (decision 0512): Django's backend, a client built once per pool."""

import uuid

import pytest
import redis

from standalone.cache import RedisCache

LOCATION = "redis://127.0.0.1:6379/5"


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(LOCATION).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return RedisCache(LOCATION, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})


def test_one_client_serves_every_call_and_the_cache_works_as_djangos(cache, monkeypatch):
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    cache.set("page", (b'"etag"', b"{}"), 30)
    assert cache.get("page") == (b'"etag"', b"{}")
    assert cache.add("page", "other", 30) is False
    assert cache.incr(cache.add("hits", 1, 30) and "hits") == 2
    cache.delete_many(["page", "hits"])
    assert cache.get_many(["page", "hits"]) == {}
    assert len(built) == 1  # Django's own backend builds one a call
    assert cache._cache.get_client() is cache._cache.get_client(write=True)

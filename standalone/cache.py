"""The standalone host's Redis cache: Django's backend, one client object per connection pool (decision 0512).

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call; its
constructor fills some 170 response callbacks, about a third of the CPU of a public catalog page
served from the cache (three cache calls a request). Here each pool's client is built once and
reused: a ``redis.Redis`` is safe to share over its pool, and Django keeps a cache object per thread.
Everything else (pools, serializer, commands, options) is Django's.
"""

from __future__ import annotations

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))  # pools are kept for the client's life: their ids stay theirs
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

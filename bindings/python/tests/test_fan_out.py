"""libsearch.FanOutIndex (the C++ FanOutIndex, libsearch/fan_out.h): a
coordinator over three shards answers as one index of the catalogue, with
the shards in this process and behind HTTP shard functions written in
Python (handle_shard_request); a shard that stops is an Unavailable error,
or a partial answer when the request asks for one."""

from __future__ import annotations

import http.server
import json
import pathlib
import threading
from typing import Iterator, List

import pytest
from test_sharded import CASES

import libsearch

from conftest import CATALOGUE


@pytest.fixture(scope="module")
def shards_dir(tmp_path_factory: pytest.TempPathFactory, schema: libsearch.Schema) -> pathlib.Path:
    path = tmp_path_factory.mktemp("fan-out") / "products.shards"
    with libsearch.ShardedWriter.create(path, schema, 3) as writer:
        writer.apply_jsonl(CATALOGUE)
        writer.commit()
    return path


def same(got: libsearch.SearchResult, want: libsearch.SearchResult, case: object) -> None:
    assert (got.ids, got.scores) == (want.ids, want.scores), case
    assert [h.doc_number for h in got] == [h.doc_number for h in want], case
    assert (got.facets, got.next_cursor, got.total) == (want.facets, want.next_cursor, want.total), case


def check_cases(fan: libsearch.Index, index: libsearch.Index) -> None:
    for case in CASES:
        options = {k: v for k, v in case.items() if k != "query"}
        want = index.search(case["query"], **options)
        same(fan.search(case["query"], **options), want, case)
        if want.next_cursor:  # A next page: twice, the second from the cursor cache.
            page = index.search(case["query"], **options, search_after=want.next_cursor)
            same(fan.search(case["query"], **options, search_after=want.next_cursor), page, case)


def test_in_process_shards_answer_as_one_index(shards_dir: pathlib.Path, index: libsearch.Index) -> None:
    shards = [libsearch.ShardedIndex(shards_dir, shards=[i]) for i in range(3)]
    with pytest.raises(libsearch.InvalidArgument, match="fan-out coordinator"):
        shards[1].search("tea")
    for entries in (1024, 0):  # With and without the cursor cache.
        with libsearch.FanOutIndex(shards, cursor_cache_entries=entries) as fan:
            assert fan.num_docs == index.num_docs
            assert fan.schema.to_json() == index.schema.to_json()
            check_cases(fan, index)
            hit = index.search("chocolate", k=1)[0]
            assert fan.document(hit.doc_number) == index.document(hit.doc_number)
    info = json.dumps({"shard_request": {"version": 1, "phase": "info"}})
    assert libsearch.is_shard_request(info) and not libsearch.is_shard_request('{"query": "tea"}')
    status, body = libsearch.handle_shard_request(shards[2], info)
    assert status == 200 and json.loads(body)["shard_reply"]["shards"] == [2]
    status, body = libsearch.handle_shard_request(shards[2], "not json")
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_argument"
    with pytest.raises(libsearch.InvalidArgument):
        libsearch.FanOutIndex([])
    with pytest.raises(libsearch.InvalidArgument, match="cursor_cache_entries"):
        libsearch.FanOutIndex(shards, cursor_cache_entries=-1)


class ShardServer:
    """A shard function in Python: POST /shard -> handle_shard_request."""

    def __init__(self, shard: libsearch.Index) -> None:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if server.down:  # A kept connection of a function gone: closed, no reply.
                    self.close_connection = True
                    return
                status, reply = libsearch.handle_shard_request(shard, body)
                data = reply.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.down = False
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/shard"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.down:
            return
        self.down = True
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers(shards_dir: pathlib.Path) -> Iterator[List[ShardServer]]:
    out = [ShardServer(libsearch.ShardedIndex(shards_dir, shards=[i])) for i in range(3)]
    yield out
    for s in out:
        s.stop()


def test_http_shard_functions_answer_as_one_index(servers: List[ShardServer], index: libsearch.Index) -> None:
    urls = [s.url for s in servers]
    check_cases(libsearch.FanOutIndex(urls), index)
    fan = libsearch.FanOutIndex(" , ".join(urls), shard_timeout=5)  # LIBSEARCH_SHARDS' form.
    check_cases(fan, index)
    request = json.dumps({"query": "chocolate", "k": 5, "facets": ["country:3"]})
    got, want = fan.handle_json(request), index.handle_json(request)
    assert got[0] == want[0] == 200
    assert {**json.loads(got[1]), "took_us": 0} == {**json.loads(want[1]), "took_us": 0}

    servers[1].stop()  # A shard function gone mid-test.
    with pytest.raises(libsearch.Unavailable, match=r"\[shard 1\]"):
        fan.search("chocolate")
    status, body = fan.handle_json(json.dumps({"query": "chocolate", "partial_results": True}))
    reply = json.loads(body)
    assert status == 200 and reply["partial"] is True
    assert [m["shard"] for m in reply["missing_shards"]] == [1]
    assert all(libsearch.shard_of(h["id"], 3) != 1 for h in reply["hits"])
    status, body = fan.handle_json(json.dumps({"query": "chocolate"}))
    assert status == 503 and json.loads(body)["error"]["code"] == "unavailable"


def test_no_shard_answering_is_unavailable() -> None:
    with pytest.raises(libsearch.Unavailable, match="no shard answered"):
        libsearch.FanOutIndex(["http://127.0.0.1:9/shard"], shard_timeout=2)

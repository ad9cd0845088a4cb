"""Checks of the benchmark harness itself (not of the service):
    python3 -m unittest discover -s tests/perf -p 'test_*.py'
The end-to-end case runs leadsbench.py and every wrk scenario against stub_server.py."""

import base64
import collections
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import leadsbench  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def read(path):
    with open(path) as f:
        return f.read()

# CONTRACT §3, simplified: one @, local part 1..64, dotted domain of letter/digit/hyphen labels.
EMAIL = re.compile(r"^[a-z0-9._]{1,64}@[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$")


class DatasetTest(unittest.TestCase):
    def test_same_seed_same_rows_whatever_the_batching(self):
        one = [row for _, body in dataset.import_bodies(7, "main", "ws", 250, 100) for row in json.loads(body)["leads"]]
        other = [row for _, body in dataset.import_bodies(7, "main", "ws", 250, 250) for row in json.loads(body)["leads"]]
        self.assertEqual(one, other)
        self.assertNotEqual(one, [dataset.lead(8, "main", i) for i in range(250)])

    def test_rows_are_valid_unique_and_varied(self):
        rows = [dataset.lead(1, "main", i) for i in range(20000)]
        emails = [r["email"] for r in rows]
        self.assertEqual(len(set(emails)), len(emails))
        for i, r in enumerate(rows):
            self.assertRegex(r["email"], EMAIL)
            self.assertLessEqual(len(r["email"]), 254)
            self.assertEqual(dataset.index_of_email(r["email"]), i)
            for name, limit in (("first_name", 100), ("last_name", 100), ("company", 200)):
                if name in r:
                    self.assertTrue(0 < len(r[name]) <= limit)
            self.assertLessEqual(len(r.get("attributes", {})), 64)
        statuses = collections.Counter(r["status"] for r in rows)
        self.assertEqual(set(statuses), set(dataset.STATUSES))
        self.assertGreater(min(statuses.values()), 0.05 * len(rows))
        self.assertGreater(len({r.get("last_name") for r in rows}), 150)
        self.assertGreater(len({r["email"].split("@")[1] for r in rows}), 50)
        self.assertTrue(any(ord(c) > 127 for r in rows for c in r.get("last_name", "")))

    def test_search_terms_hit_the_intended_share(self):
        rows = [dataset.lead(1, "main", i) for i in range(20000)]
        text = [f"{r['email']} {r.get('first_name', '')} {r.get('last_name', '')}".lower() for r in rows]
        common = sum("smith" in t for t in text) / len(text)
        short = sum("an" in t for t in text) / len(text)
        self.assertTrue(0.005 < common < 0.05, common)
        self.assertTrue(0.1 < short < 0.5, short)

    def test_activities_are_zero_to_five_and_valid(self):
        counts = collections.Counter(dataset.activity_count(3, i) for i in range(3000))
        self.assertEqual(set(counts), set(range(6)))
        for i in range(300):
            acts = dataset.activities(3, i)
            self.assertEqual(len(acts), dataset.activity_count(3, i))
            for a in acts:
                self.assertIn(a["type"], dataset.ACTIVITY_TYPES)
                self.assertRegex(a["timestamp"], r"^2025-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
            stamps = [a["timestamp"] for a in acts]
            self.assertEqual(stamps, sorted(stamps))

    def test_noise_is_a_tenth_across_other_tenants_and_workspaces(self):
        plan = dataset.noise_plan(100_000)
        self.assertEqual(sum(n for *_, n in plan), 10_000)
        self.assertTrue(all((t, w) != (dataset.MAIN_TENANT, dataset.MAIN_WORKSPACE) for t, w, _, _ in plan))
        self.assertGreater(len({t for t, *_ in plan}), 1)


class TokenTest(unittest.TestCase):
    def test_hs256_token_verifies_and_carries_the_claims(self):
        token = leadsbench.make_token("s" * 32, "tenant-1", lifetime_s=100)
        head, payload, signature = token.split(".")

        def decode(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        self.assertEqual(json.loads(decode(head))["alg"], "HS256")
        claims = json.loads(decode(payload))
        self.assertEqual(claims["tenant_id"], "tenant-1")
        self.assertGreater(claims["exp"], 0)
        expected = hmac.new(b"s" * 32, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        self.assertEqual(decode(signature), expected)
        self.assertNotIn("=", token)


class ReportTest(unittest.TestCase):
    def sample(self, rps, p99_us, status_errors=0):
        stats = {"rps": rps, "requests": 100, "latency_us": {"p50": 1000, "p99": p99_us, "max": p99_us},
                 "errors": {"status": status_errors, "connect": 0, "read": 0, "write": 0, "timeout": 0},
                 "peak_rss_kib": 50 * 1024, "server_cpu_us_per_request": 10}
        return stats

    def test_verdicts(self):
        self.assertEqual(leadsbench._verdict("sqlite", "get_by_id", self.sample(16000, 9000))[0], "met")
        verdict, notes = leadsbench._verdict("sqlite", "get_by_id", self.sample(12000, 9000))
        self.assertEqual(verdict, "**missed**")
        self.assertIn("-20%", notes)
        self.assertEqual(leadsbench._verdict("sqlite", "search_common", self.sample(10, 250_000))[0], "**missed**")
        self.assertEqual(leadsbench._verdict("sqlite", "list_deep_page", self.sample(10, 1, status_errors=3))[0], "**missed**")
        self.assertEqual(leadsbench._verdict("sqlite", "patch", self.sample(10, 1))[0], "")

    def test_report_replaces_only_the_generated_part(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "performance.md")
            with open(out, "w") as f:
                f.write(f"# Perf\n\nhand-written\n\n{leadsbench.BEGIN}\nold table\n{leadsbench.END}\n\n## Analysis\nkept\n")
            results = os.path.join(tmp, "results")
            os.makedirs(results)
            run = {"size": "100k", "rows": 100000, "db": "sqlite", "duration_s": 1, "date": "d", "revision": "r",
                   "wall_s": 1, "machine": leadsbench.machine_info(),
                   "scenarios": {"get_by_id": self.sample(20000, 5000)}}
            with open(os.path.join(results, "100k-sqlite.json"), "w") as f:
                json.dump(run, f)
            leadsbench.main(["report", "--results", results, "--out", out])
            text = read(out)
            self.assertIn("hand-written", text)
            self.assertIn("## Analysis\nkept", text)
            self.assertNotIn("old table", text)
            self.assertIn("| get by id | 20,000 |", text)


@unittest.skipUnless(shutil.which("wrk"), "wrk is not installed")
class EndToEndAgainstStubTest(unittest.TestCase):
    def test_every_scenario_runs_without_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, os.path.join(HERE, "leadsbench.py"), "run", "--binary", os.path.join(HERE, "stub_server.py"),
                 "--db", "sqlite", "--size", "tiny", "--duration", "1s", "--connections", "8",
                 "--work-dir", tmp, "--results", os.path.join(tmp, "results")],
                check=True, stdout=subprocess.DEVNULL,
            )
            with open(os.path.join(tmp, "results", "tiny-sqlite.json")) as f:
                result = json.load(f)
            self.assertEqual(set(result["scenarios"]), {name for name, _ in leadsbench.SCENARIOS})
            for name, stats in result["scenarios"].items():
                self.assertGreater(stats["requests"], 0, name)
                self.assertEqual(stats["errors"], {"status": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}, name)
                self.assertGreater(stats["peak_rss_kib"], 0, name)
            self.assertEqual(result["search_matches"]["selective"], 1)
            self.assertGreater(result["search_matches"]["two_chars"], result["search_matches"]["common"])
            self.assertEqual(result["load"]["main_rows"], 3000)
            self.assertGreater(result["activities"]["activities"], 0)
            ids = read(os.path.join(tmp, "run-tiny-sqlite", "ids.txt")).split()
            self.assertEqual(len(ids), len(set(ids)))
            self.assertEqual(len(ids), 3000)


if __name__ == "__main__":
    unittest.main()

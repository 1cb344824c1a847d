"""cache/skops.py without skops: the cache file's name (a digest of what the model depends on),
its atomic write, its checksum, and what happens to a corrupt or misplaced one. (Loading through
skops itself is test/worker/model-cache.test.ts's, with the MLflow test environment.)"""

import os
import shutil
import tempfile
import unittest

import package_path
from package_path import CapturedLogs

from mlf_worker.cache.skops import TRANSCODE_MAGIC, _MISSING, load_skops, read_transcoded, transcode_cache_file, write_transcoded


class TranscodeCache(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mlf-python-skops-cache-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.model_dir = os.path.join(self.dir, "model")
        self.cache_dir = os.path.join(self.dir, "cache")
        os.makedirs(os.path.join(self.model_dir, "code"))

    def cache_file(self, data=b"model bytes", trusted=None, conf=None):
        return transcode_cache_file(self.cache_dir, self.model_dir, data, trusted, conf or {})

    def test_the_name_is_a_digest_of_the_model_bytes_trusted_types_and_code(self):
        first = self.cache_file()
        self.assertEqual(os.path.dirname(first), os.path.realpath(self.cache_dir))
        self.assertRegex(os.path.basename(first), r"^[0-9a-f]{64}\.pkl$")
        self.assertEqual(self.cache_file(), first)
        self.assertNotEqual(self.cache_file(data=b"other bytes"), first)
        self.assertNotEqual(self.cache_file(trusted=["numpy.dtype"]), first)
        with open(os.path.join(self.model_dir, "code", "helper.py"), "w") as f:
            f.write("x = 1\n")
        with_code = self.cache_file(conf={"code": "code"})
        self.assertNotEqual(with_code, first)
        with open(os.path.join(self.model_dir, "code", "helper.py"), "w") as f:
            f.write("x = 2\n")
        self.assertNotEqual(self.cache_file(conf={"code": "code"}), with_code)

    def test_no_cache_directory_or_one_inside_the_model_means_no_cache(self):
        self.assertIsNone(transcode_cache_file(None, self.model_dir, b"", None, {}))
        inside = os.path.join(self.model_dir, "cache")
        with CapturedLogs() as logged:
            self.assertIsNone(transcode_cache_file(inside, self.model_dir, b"", None, {}))
        self.assertEqual(logged, [("info", "not caching the model: the cache directory `{}` is inside the model directory".format(inside))])

    def test_written_with_a_header_and_read_back_as_the_same_object(self):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=500).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        cache_file = self.cache_file()
        with CapturedLogs() as logged:
            write_transcoded(cache_file, model)
        self.assertEqual(logged, [("info", "cached the skops model as a pickle in `{}`".format(cache_file))])
        self.assertEqual(os.listdir(self.cache_dir), [os.path.basename(cache_file)])
        with open(cache_file, "rb") as f:
            self.assertTrue(f.read().startswith(TRANSCODE_MAGIC))
        loaded = read_transcoded(cache_file)
        self.assertEqual(loaded.predict([[0.0], [3.0]]).tolist(), [0, 1])

    def test_a_hit_touches_the_file_so_that_prune_ages_it_by_last_use(self):
        # `mlf envs prune --older-than` removes the local manager's entries by mtime
        # (worker/local-model-cache.ts): a model loaded from the cache must count as used.
        skops_file = os.path.join(self.model_dir, "model.skops")
        with open(skops_file, "wb") as f:
            f.write(b"model bytes")
        cache_file = self.cache_file()
        write_transcoded(cache_file, {"a": 1})
        os.utime(cache_file, (1_000_000_000, 1_000_000_000))
        with CapturedLogs():
            loaded = load_skops(skops_file, None, self.model_dir, {}, self.cache_dir)
        self.assertEqual(loaded, {"a": 1})
        self.assertGreater(os.stat(cache_file).st_mtime, 1_000_000_000 + 86400)

    def test_a_corrupt_file_is_removed_with_a_warning(self):
        cache_file = self.cache_file()
        with CapturedLogs():
            write_transcoded(cache_file, {"a": "x" * 1000})
        with open(cache_file, "rb") as f:
            good = f.read()
        cases = [
            (good[:-1] + bytes([good[-1] ^ 1]), "its checksum does not match its contents"),
            (good[: len(good) // 2], "its checksum does not match its contents"),
            (b"", "it does not start with mlf's header"),
            (good[len(TRANSCODE_MAGIC) + 65:], "it does not start with mlf's header"),
        ]
        for blob, problem in cases:
            with self.subTest(problem=problem, length=len(blob)):
                with open(cache_file, "wb") as f:
                    f.write(blob)
                with CapturedLogs() as logged:
                    self.assertIs(read_transcoded(cache_file), _MISSING)
                self.assertEqual(
                    logged,
                    [("warning", "discarding the corrupt model cache file `{}` ({}); loading the model with skops and caching it again".format(cache_file, problem))],
                )
                self.assertFalse(os.path.exists(cache_file))

    def test_an_absent_file_is_a_miss_without_a_word(self):
        with CapturedLogs() as logged:
            self.assertIs(read_transcoded(os.path.join(self.cache_dir, "absent.pkl")), _MISSING)
        self.assertEqual(logged, [])

    def test_an_object_that_does_not_round_trip_is_not_cached(self):
        cache_file = self.cache_file()
        with CapturedLogs() as logged:
            write_transcoded(cache_file, lambda x: x)
        self.assertEqual(len(logged), 1)
        self.assertEqual(logged[0][0], "info")
        self.assertRegex(logged[0][1], r"^not caching the model: it does not round-trip through pickle \((Attribute|Pickling)Error: Can't pickle ")
        self.assertFalse(os.path.exists(self.cache_dir))


if __name__ == "__main__":
    unittest.main()

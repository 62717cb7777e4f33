#!/usr/bin/env python3
"""Self-test of check_layers.py on small fake trees (stdlib unittest).

Run: python3 tests/layers/test_check_layers.py
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_layers  # noqa: E402

CHECKER = os.path.join(HERE, "check_layers.py")

# A tree that follows every rule: downward includes across layers, rooms
# using their layer's common part and each other without a cycle.
CLEAN = {
    "base/expected.hpp": "#pragma once\n#include <string>\n",
    "jobs/spec.hpp": '#pragma once\n#include "base/expected.hpp"\n',
    "jobs/windowed/op.hpp": '#pragma once\n#include "jobs/spec.hpp"\n',
    "jobs/windowed/op.cpp": '#include "jobs/windowed/op.hpp"\n#include "jobs/hll/hll.hpp"\n',
    "jobs/hll/hll.hpp": '#pragma once\n#include "jobs/spec.hpp"\n',
    "sinks/projection.hpp": '#pragma once\n#include "jobs/spec.hpp"\n',
    "sinks/raw/rows.hpp": '#pragma once\n#include "sinks/projection.hpp"\n#include "sinks/s3/client.hpp"\n',
    "sinks/s3/client.hpp": '#pragma once\n#include "base/expected.hpp"\n',
    "sinks/s3/detail/sigv4.cc": '#include "sinks/s3/client.hpp"\n',
    "runtime/kafka.h": '#pragma once\n#include "sinks/raw/rows.hpp"\n',
    "actors/node.cpp": '#include "runtime/kafka.h"\n#include <caf/all.hpp>\n',
    "app/main.cpp": '#include "actors/node.hpp"\n#include "jobs/windowed/op.hpp"\n',
    "actors/node.hpp": '#pragma once\n#include "base/expected.hpp"\n',
    "tests/unit/x_test.cpp": '#include "app/main.cpp"\n',
    "jobs/specs/readme.yaml": 'include: "actors/x.hpp"\n',  # not a source file
}


class TreeCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = self._tmp.name
        self.addCleanup(self._tmp.cleanup)

    def write(self, files):
        for rel, text in files.items():
            path = os.path.join(self.root, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

    def tree(self, **changes):
        """Writes CLEAN with `changes` (path with '__' for '/' -> text)."""
        files = dict(CLEAN)
        files.update({k.replace("__", "/"): v for k, v in changes.items()})
        self.write(files)

    def assertOneError(self, *fragments):
        errors = check_layers.check(self.root)
        self.assertEqual(len(errors), 1, errors)
        for frag in fragments:
            self.assertIn(frag, errors[0])
        return errors[0]


class CheckLayersTest(TreeCase):
    def test_clean_tree_passes(self):
        self.write(CLEAN)
        errors, n_files, n_includes = check_layers.check_tree(self.root)
        self.assertEqual(errors, [])
        self.assertEqual(n_files, 13)  # tests/ and the .yaml not counted
        self.assertEqual(n_includes, 15)

    def test_upward_include_fails_with_file_and_line(self):
        self.tree(**{
            "jobs/x.hpp": '#pragma once\n#include <vector>\n#include "actors/y.hpp"\n',
            "actors/y.hpp": "#pragma once\n",
        })
        err = self.assertOneError()
        self.assertEqual(
            err,
            'jobs/x.hpp:3: includes "actors/y.hpp": layer \'jobs\' may not include '
            "layer 'actors' (order: base < lib < jobs < sinks < runtime < actors < web < app)")

    def test_upward_include_from_a_room_fails(self):
        self.tree(**{"sinks/s3/client.hpp": '#pragma once\n#include "runtime/kafka.h"\n'})
        self.assertOneError("sinks/s3/client.hpp:2:", "layer 'sinks' may not include layer 'runtime'")

    def test_common_part_including_a_room_fails(self):
        self.tree(**{"jobs/spec.hpp": '#pragma once\n#include "base/expected.hpp"\n'
                                      '#include "jobs/windowed/op.hpp"\n'})
        self.assertOneError('jobs/spec.hpp:3: includes "jobs/windowed/op.hpp"',
                            "common part of layer 'jobs'", "'jobs/windowed'")

    def test_room_cycle_fails(self):
        self.tree(**{
            "sinks/a/a.hpp": '#pragma once\n#include "sinks/b/b.hpp"\n',
            "sinks/b/b.hpp": '#pragma once\n\n#include "sinks/a/a.hpp"\n',
        })
        err = self.assertOneError("room cycle in layer 'sinks'",
                                  "sinks/a -> sinks/b -> sinks/a",
                                  'sinks/a/a.hpp:2 includes "sinks/b/b.hpp"',
                                  'sinks/b/b.hpp:3 includes "sinks/a/a.hpp"')
        self.assertNotIn("\n", err)

    def test_longer_room_cycle_through_deeper_files_fails(self):
        self.tree(**{
            # sinks/raw -> sinks/s3 already exists in CLEAN; close the loop
            # from a file two folders deep inside sinks/s3.
            "sinks/s3/detail/sigv4.cc": '#include "sinks/s3/client.hpp"\n'
                                        '#include "sinks/parquet/writer.hpp"\n',
            "sinks/parquet/writer.hpp": '#pragma once\n#include "sinks/raw/rows.hpp"\n',
        })
        self.assertOneError("room cycle in layer 'sinks'",
                            "sinks/parquet -> sinks/raw -> sinks/s3 -> sinks/parquet",
                            'sinks/s3/detail/sigv4.cc:2 includes "sinks/parquet/writer.hpp"')

    def test_missing_file_fails(self):
        self.tree(**{"runtime/kafka.h": '#pragma once\n#include "sinks/raw/rows.hpp"\n'
                                        '#include "jobs/generators.hpp"\n'})
        self.assertOneError('runtime/kafka.h:3: includes "jobs/generators.hpp"', "no such file")

    def test_missing_file_outside_the_layers_fails(self):
        self.tree(**{"actors/node.cpp": '#include "runtime/kafka.h"\n#include "gen/version.hpp"\n'})
        self.assertOneError('actors/node.cpp:2: includes "gen/version.hpp"', "no such file")

    def test_includes_in_tests_bench_deploy_are_ignored(self):
        self.tree(**{
            "tests/unit/bad_test.cpp": '#include "actors/node.hpp"\n#include "no/such.hpp"\n',
            "bench/b.cpp": '#include "app/main.cpp"\n#include "gone.hpp"\n',
            "deploy/tool.cc": '#include "missing/x.h"\n',
            # A room's tests may drive the registry that lists the room.
            "sinks/clickhouse/tests/merged_it.cpp": '#include "sinks/registry/sinks.hpp"\n',
        })
        self.assertEqual(check_layers.check(self.root), [])

    def test_commented_out_include_is_ignored(self):
        self.tree(**{"jobs/spec.hpp":
                     '#pragma once\n'
                     '#include "base/expected.hpp"\n'
                     '// #include "actors/node.hpp"\n'
                     '//#include "no/such/file.hpp"\n'
                     '/* #include "app/main.cpp" */\n'
                     '/*\n#include "runtime/kafka.h"\n*/\n'
                     'const char* s = "// not a comment"; int n = 1\'000;\n'})
        self.assertEqual(check_layers.check(self.root), [])

    def test_angle_bracket_includes_are_ignored(self):
        self.tree(**{"base/expected.hpp": "#pragma once\n#include <actors/node.hpp>\n"})
        self.assertEqual(check_layers.check(self.root), [])

    def test_indented_and_spaced_include_is_parsed(self):
        self.tree(**{"base/expected.hpp": '#pragma once\n#if 1\n  #  include "jobs/spec.hpp"\n#endif\n'})
        self.assertOneError("base/expected.hpp:3:", "layer 'base' may not include layer 'jobs'")

    def test_violations_are_all_reported(self):
        self.tree(**{
            "base/expected.hpp": '#include "app/main.cpp"\n',
            "jobs/spec.hpp": '#include "jobs/hll/hll.hpp"\n',
            "app/main.cpp": '#include "actors/gone.hpp"\n',
        })
        errors = check_layers.check(self.root)
        self.assertEqual(len(errors), 3, errors)


class CommandLineTest(TreeCase):
    def run_checker(self):
        return subprocess.run([sys.executable, CHECKER, "--root", self.root],
                              capture_output=True, text=True, timeout=60)

    def test_exit_codes_and_output(self):
        self.write(CLEAN)
        ok = self.run_checker()
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertEqual(ok.stdout.strip(), "layers ok: 13 files, 15 includes checked")

        self.write({"jobs/x.hpp": '#include "actors/node.hpp"\n'})
        bad = self.run_checker()
        self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
        self.assertIn('jobs/x.hpp:1: includes "actors/node.hpp": layer \'jobs\' '
                      "may not include layer 'actors'", bad.stdout)
        self.assertNotIn("layers ok", bad.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

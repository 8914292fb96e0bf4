#!/usr/bin/env bash
# Builds archsim and a subset of the tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/, -DSANITIZE=address,undefined) and runs them.
#
# The subset keeps CI's total well under 30 minutes on 2 cores: every test that exercises the
# loader, validator and CLI on good and bad input (units, loader, cli, bad_inputs), the models
# in-process (processor_sharing, station, rate limiters, caches, sharding), crash faults, the
# critical path, and the end-to-end runs of latency and invariants.
# Left out: the long statistical runs (queueing, topologies, determinism), which exercise the
# same code paths as the runs included, only longer.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=(units_test loader_test processor_sharing_test station_test cli_test latency_test invariants_test
       rate_limiter_test cache_test faults_test sharding_test critical_path_test failover_test store_test
       resilience_test)
[ -f tests/bad_inputs_test.cpp ] && tests+=(bad_inputs_test)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=address,undefined >/dev/null
cmake --build build-asan -j2 --target archsim "${tests[@]}"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
# SimGrid switches stacks between actors; ASan warns once about it and copes.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure -j2 -R "$regex"
